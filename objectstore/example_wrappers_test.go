package objectstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// Wrappers compose: a prefix for one tenant, a cache of its immutable
// neighborhood objects, and metrics of what reaches the store.
func ExampleNewCache() {
	ctx := context.Background()
	counted := objectstore.NewMetrics(mem.New())
	tenant := objectstore.WithPrefix(counted, "tenant-a/")
	cache, err := objectstore.NewCache(tenant, objectstore.CacheOptions{
		MaxBytes:  64 << 20,
		Cacheable: func(key string) bool { return strings.Contains(key, "/nbhd/") },
	})
	if err != nil {
		panic(err)
	}
	if _, err := cache.Put(ctx, "data/ix/nbhd/1.arrow", []byte("vectors"), objectstore.CreateOnly()); err != nil {
		panic(err)
	}
	for range 3 {
		b, _, err := cache.Get(ctx, "data/ix/nbhd/1.arrow") // shared bytes: do not modify
		if err != nil {
			panic(err)
		}
		_ = b
	}
	st := cache.Stats()
	fmt.Println("hits", st.Hits, "misses", st.Misses)
	fmt.Println("store gets", counted.Snapshot().Ops[objectstore.OpGet].Calls)
	// Output:
	// hits 2 misses 1
	// store gets 1
}

// Fail the second put under "data/", and then make every put ambiguous: it
// lands, but the caller is told it failed.
func ExampleNewFaults() {
	ctx := context.Background()
	m := mem.New()
	f := objectstore.NewFaults(m, objectstore.If(
		objectstore.And(objectstore.OpIs(objectstore.OpPut), objectstore.KeyPrefix("data/")),
		objectstore.OnIndex(1)))
	for _, k := range []string{"data/a", "data/b", "data/c"} {
		_, err := f.Put(ctx, k, []byte("x"), objectstore.Condition{})
		fmt.Println(k, errors.Is(err, objectstore.ErrInjected))
	}

	amb := objectstore.NewFaults(m, objectstore.Ambiguous(objectstore.If(objectstore.OpIs(objectstore.OpPut), objectstore.Always())))
	_, err := amb.Put(ctx, "data/d", []byte("x"), objectstore.CreateOnly())
	_, herr := m.Head(ctx, "data/d")
	fmt.Println("ambiguous put failed:", err != nil, "stored:", herr == nil)
	// Output:
	// data/a false
	// data/b true
	// data/c false
	// ambiguous put failed: true stored: true
}
