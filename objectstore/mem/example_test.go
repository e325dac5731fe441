package mem_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// Compare-and-swap with if-match, and what a corrupted object looks like.
func Example() {
	ctx := context.Background()
	s := mem.New()
	a, _ := s.Put(ctx, "k", []byte("v1"), objectstore.Condition{})
	_, err := s.Put(ctx, "k", []byte("v2"), objectstore.IfMatch(a.ETag))
	fmt.Println(err)
	_, err = s.Put(ctx, "k", []byte("v3"), objectstore.IfMatch(a.ETag)) // stale etag
	fmt.Println(errors.Is(err, objectstore.ErrPreconditionFailed))

	s.Corrupt("k")
	_, _, err = s.Get(ctx, "k")
	fmt.Println(errors.Is(err, objectstore.ErrCorrupt))
	// Output:
	// <nil>
	// true
	// true
}
