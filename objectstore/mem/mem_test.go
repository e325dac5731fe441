package mem_test

import (
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

func corrupt(t *testing.T, s objectstore.Store, key string) {
	if !s.(*mem.Store).Corrupt(key) {
		t.Fatalf("Corrupt(%q): no such key", key)
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) objectstore.Store { return mem.New() }, storetest.Options{Corrupt: corrupt})
}

func TestLinearizability(t *testing.T) {
	s := mem.New()
	storetest.Linearizability(t, []objectstore.Store{s, s}, storetest.Options{})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, mem.New())
}

// TestSharedStoreLeftClean runs the suite on one shared store, as against a
// shared bucket, and checks that it leaves nothing behind.
func TestSharedStoreLeftClean(t *testing.T) {
	s := mem.New()
	storetest.Run(t, func(t *testing.T) objectstore.Store { return s }, storetest.Options{Prefix: "shared/", Cleanup: true, Corrupt: corrupt})
	if n := s.Len(); n != 0 {
		t.Errorf("the suite left %d objects behind", n)
	}
}
