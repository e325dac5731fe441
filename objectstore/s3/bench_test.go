package s3

import (
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// BenchmarkStore: put/get of 4 KiB and 1 MiB objects and a 4 KiB ranged
// read against the test server (versitygw in `make test`).
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, open(b, testConfig(b)))
}

// BenchmarkCachedStore: the same through a memory cache (gets hit after
// the first).
func BenchmarkCachedStore(b *testing.B) {
	c, err := objectstore.NewCache(open(b, testConfig(b)), objectstore.CacheOptions{})
	if err != nil {
		b.Fatal(err)
	}
	storetest.Bench(b, c)
}
