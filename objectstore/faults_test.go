package objectstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
	"github.com/vectorbucket/vectorbucket/objectstore/storetest"
)

// With an injector that never fires, the wrapper is invisible.
func TestFaultsSuite(t *testing.T) {
	m := mem.New()
	f := objectstore.NewFaults(m, objectstore.Any(objectstore.Random(0, 1), objectstore.Latency(0)))
	storetest.Run(t, func(*testing.T) objectstore.Store { return f }, storetest.Options{Corrupt: corruptMem(m, "")})
	if n := f.Injected(); n != 0 {
		t.Errorf("Injected = %d, want 0", n)
	}
}

func TestOnIndex(t *testing.T) {
	ctx := t.Context()
	f := objectstore.NewFaults(mem.New(), objectstore.OnIndex(2))
	for i := range 5 {
		_, err := f.Put(ctx, fmt.Sprintf("k%d", i), []byte("x"), objectstore.Condition{})
		if (i == 2) != (err != nil) {
			t.Errorf("op %d: err = %v", i, err)
		}
		if err != nil && (!errors.Is(err, objectstore.ErrInjected) || errors.Is(err, objectstore.ErrNotFound)) {
			t.Errorf("op %d: err = %v, want ErrInjected only", i, err)
		}
	}
	if _, err := f.Head(ctx, "k2"); !errors.Is(err, objectstore.ErrNotFound) {
		t.Errorf("failed put stored k2: Head err = %v", err)
	}
	if f.Injected() != 1 {
		t.Errorf("Injected = %d, want 1", f.Injected())
	}
}

func TestIfPredicate(t *testing.T) {
	ctx := t.Context()
	m := mem.New()
	// Fail the second put under "data/" and nothing else.
	f := objectstore.NewFaults(m, objectstore.If(
		objectstore.And(objectstore.OpIs(objectstore.OpPut), objectstore.KeyPrefix("data/")),
		objectstore.OnIndex(1)))
	steps := []struct {
		key     string
		put     bool
		wantErr bool
	}{
		{"data/a", true, false}, {"meta/a", true, false}, {"data/a", false, false},
		{"meta/b", true, false}, {"data/b", true, true}, {"data/c", true, false},
	}
	for i, s := range steps {
		var err error
		if s.put {
			_, err = f.Put(ctx, s.key, []byte("v"), objectstore.Condition{})
		} else {
			_, _, err = f.Get(ctx, s.key)
		}
		if (err != nil) != s.wantErr {
			t.Errorf("step %d (%s put=%v): err = %v, want error %v", i, s.key, s.put, err, s.wantErr)
		}
	}
	always := objectstore.NewFaults(m, objectstore.If(objectstore.OpIs(objectstore.OpList), objectstore.Always()))
	if _, err := always.List(ctx, objectstore.ListOptions{}); !errors.Is(err, objectstore.ErrInjected) {
		t.Errorf("List err = %v, want ErrInjected", err)
	}
	if _, _, err := always.Get(ctx, "data/a"); err != nil {
		t.Errorf("Get through a List-only injector: %v", err)
	}
}

func TestRandomIsSeeded(t *testing.T) {
	run := func(seed uint64) []bool {
		inj := objectstore.Random(0.3, seed)
		out := make([]bool, 200)
		for i := range out {
			out[i] = inj.MaybeError(objectstore.Op{Kind: objectstore.OpGet, Key: "k"}) != nil
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	hits := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different decision at %d", i)
		}
		if a[i] {
			hits++
		}
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("seeds 7 and 8 made the same 200 decisions")
	}
	if hits < 30 || hits > 90 { // p = 0.3 of 200: 60 ± 6σ
		t.Errorf("%d of 200 failed at p=0.3", hits)
	}
}

// TestAmbiguous: the write happens, yet the caller sees an error.
func TestAmbiguous(t *testing.T) {
	ctx := t.Context()
	m := mem.New()
	f := objectstore.NewFaults(m, objectstore.Ambiguous(objectstore.If(objectstore.OpIs(objectstore.OpPut, objectstore.OpDelete), objectstore.Always())))
	if _, err := f.Put(ctx, "k", []byte("v"), objectstore.CreateOnly()); !errors.Is(err, objectstore.ErrInjected) {
		t.Fatalf("Put err = %v, want ErrInjected", err)
	}
	if b, _, err := m.Get(ctx, "k"); err != nil || string(b) != "v" {
		t.Fatalf("ambiguous Put did not store: %q, %v", b, err)
	}
	if err := f.Delete(ctx, "k"); !errors.Is(err, objectstore.ErrInjected) {
		t.Fatalf("Delete err = %v, want ErrInjected", err)
	}
	if _, err := m.Head(ctx, "k"); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("ambiguous Delete did not delete: %v", err)
	}
}

func TestLatency(t *testing.T) {
	f := objectstore.NewFaults(mem.New(), objectstore.Latency(30*time.Millisecond))
	start := time.Now()
	if _, err := f.Head(t.Context(), "k"); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("Head took %v, want at least the injected 30ms", d)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	slow := objectstore.NewFaults(mem.New(), objectstore.Latency(time.Hour))
	if _, err := slow.Head(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Head under a 5ms deadline with 1h latency: %v, want DeadlineExceeded", err)
	}
}

// TestFailEachOperation is pebble's pattern: fail operation 0, 1, 2, ...
// of a workload until it runs clean, and check every failure surfaces as an
// error and leaves the store consistent (each key absent or whole).
func TestFailEachOperation(t *testing.T) {
	ctx := t.Context()
	workload := func(s objectstore.Store) error {
		for i := range 4 {
			key := fmt.Sprintf("w/%d", i)
			if _, err := s.Put(ctx, key, []byte(key), objectstore.CreateOnly()); err != nil {
				return err
			}
			if b, _, err := s.Get(ctx, key); err != nil || string(b) != key {
				return fmt.Errorf("read back %s: %q, %w", key, b, err)
			}
		}
		_, err := s.List(ctx, objectstore.ListOptions{Prefix: "w/"})
		return err
	}
	for n := int64(0); ; n++ {
		m := mem.New()
		f := objectstore.NewFaults(m, objectstore.OnIndex(n))
		err := workload(f)
		if err == nil {
			if f.Injected() != 0 {
				t.Fatalf("n=%d: workload passed though a fault was injected", n)
			}
			if n != 9 {
				t.Errorf("workload of 9 operations ran clean at n=%d", n)
			}
			return
		}
		if !errors.Is(err, objectstore.ErrInjected) {
			t.Fatalf("n=%d: err = %v, want ErrInjected", n, err)
		}
		for a, err := range objectstore.All(ctx, m, "w/") {
			if err != nil {
				t.Fatal(err)
			}
			if b, _, err := m.Get(ctx, a.Key); err != nil || string(b) != a.Key {
				t.Errorf("n=%d: %s holds %q, %v", n, a.Key, b, err)
			}
		}
	}
}
