package local_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
)

// A manifest-style commit: the first create-only put of a key wins, a
// second one fails with ErrPreconditionFailed.
func Example() {
	dir, err := os.MkdirTemp("", "vectorbucket-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := local.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	key := "data/idx1/manifest/00000000000000000001"
	if _, err := s.Put(ctx, key, []byte(`{"generation":1}`), objectstore.CreateOnly()); err != nil {
		log.Fatal(err)
	}
	_, err = s.Put(ctx, key, []byte(`{"generation":1,"writer":"other"}`), objectstore.CreateOnly())
	fmt.Println(errors.Is(err, objectstore.ErrPreconditionFailed))

	data, attrs, err := s.Get(ctx, key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data), attrs.Size, attrs.CRC32C == objectstore.Checksum(data))
	// Output:
	// true
	// {"generation":1} 16 true
}
