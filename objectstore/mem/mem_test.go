package mem_test

import (
	"testing"
	"time"

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

// TestClock: objects carry the injected clock's time as ModTime in every
// answer that has attributes.
func TestClock(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := mem.NewWithClock(func() time.Time { return at })
	ctx := t.Context()
	if _, err := s.Put(ctx, "k", []byte("v"), objectstore.Condition{}); err != nil {
		t.Fatal(err)
	}
	at = at.Add(time.Hour) // later writes only
	a, err := s.Head(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.List(ctx, objectstore.ListOptions{})
	if err != nil || len(page.Objects) != 1 {
		t.Fatalf("list: %v, %v", page, err)
	}
	want := at.Add(-time.Hour)
	if !a.ModTime.Equal(want) || !page.Objects[0].ModTime.Equal(want) {
		t.Errorf("ModTime head %v, list %v; want %v", a.ModTime, page.Objects[0].ModTime, want)
	}
}
