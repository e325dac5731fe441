package objectstore_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// corruptMem damages key in a mem store behind every wrapper.
func corruptMem(m *mem.Store, prefix string) func(t *testing.T, _ objectstore.Store, key string) {
	return func(t *testing.T, _ objectstore.Store, key string) {
		if !m.Corrupt(prefix + key) {
			t.Fatalf("Corrupt(%q): no such key", prefix+key)
		}
	}
}

func TestPrefixSuite(t *testing.T) {
	m := mem.New()
	p := objectstore.WithPrefix(m, "tenant/one/")
	storetest.Run(t, func(*testing.T) objectstore.Store { return p }, storetest.Options{
		Corrupt:   corruptMem(m, "tenant/one/"),
		MaxKeyLen: objectstore.MaxKeyLen - len("tenant/one/"),
	})
}

func TestPrefixLinearizability(t *testing.T) {
	m := mem.New()
	storetest.Linearizability(t, []objectstore.Store{objectstore.WithPrefix(m, "p/"), objectstore.WithPrefix(m, "p/")}, storetest.Options{})
}

// TestPrefixIsolation: a prefixed store sees only its own keys, never with
// the prefix, and paging works across neighbours that share a byte prefix.
func TestPrefixIsolation(t *testing.T) {
	ctx := t.Context()
	m := mem.New()
	for _, k := range []string{"a", "p", "p0", "p/", "p/x", "p/y/z", "pa/x", "q"} {
		if objectstore.ValidateKey(k) != nil {
			continue
		}
		if _, err := m.Put(ctx, k, []byte(k), objectstore.Condition{}); err != nil {
			t.Fatal(err)
		}
	}
	p := objectstore.WithPrefix(m, "p/")
	for _, limit := range []int{0, 1, 2} {
		var got []string
		after := ""
		for {
			page, err := p.List(ctx, objectstore.ListOptions{StartAfter: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Objects {
				got = append(got, a.Key)
			}
			if page.Next == "" {
				break
			}
			after = page.Next
		}
		if want := []string{"x", "y/z"}; !slices.Equal(got, want) {
			t.Errorf("List(limit %d) = %q, want %q", limit, got, want)
		}
	}
	page, err := p.List(ctx, objectstore.ListOptions{Prefix: "y", StartAfter: "x"})
	if err != nil || len(page.Objects) != 1 || page.Objects[0].Key != "y/z" {
		t.Errorf("List(prefix y, after x) = %+v, %v", page, err)
	}
	b, a, err := p.Get(ctx, "x")
	if err != nil || string(b) != "p/x" || a.Key != "x" {
		t.Errorf("Get(x) = %q, key %q, %v; want %q, key %q", b, a.Key, err, "p/x", "x")
	}
	a, err = p.Put(ctx, "new", []byte("n"), objectstore.CreateOnly())
	if err != nil || a.Key != "new" {
		t.Fatalf("Put(new) = %+v, %v", a, err)
	}
	if _, err := m.Head(ctx, "p/new"); err != nil {
		t.Errorf("Put through the prefix did not land at p/new: %v", err)
	}
	for _, bad := range []string{"", "../a", "/x"} {
		if _, err := p.Head(ctx, bad); !errors.Is(err, objectstore.ErrInvalidKey) {
			t.Errorf("Head(%q) err = %v, want ErrInvalidKey", bad, err)
		}
	}
}
