package index

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// stallInjector fails nothing; once an operation matching trigger runs, it
// holds every operation matching stall that starts within the next `for`
// (until that period ends), once per trigger.
type stallInjector struct {
	trigger func(objectstore.Op) bool
	stall   func(objectstore.Op) bool
	dur     time.Duration
	until   atomic.Int64 // UnixNano; 0: not triggered yet
	fired   atomic.Bool
}

func (s *stallInjector) MaybeError(op objectstore.Op) error {
	if s.trigger(op) && s.fired.CompareAndSwap(false, true) {
		s.until.Store(time.Now().Add(s.dur).UnixNano())
	}
	return nil
}

func (s *stallInjector) Delay(op objectstore.Op) time.Duration {
	u := s.until.Load()
	if u == 0 || !s.stall(op) {
		return 0
	}
	return time.Until(time.Unix(0, u))
}

func isManifest(op objectstore.Op) bool { return strings.Contains(op.Key, "/manifest/") }

// stallHarness opens an index whose store stalls as inj says, and runs GC
// with grace on the healthy store underneath every few milliseconds until
// the returned stop is called. It also returns the healthy store.
func stallHarness(t *testing.T, grace time.Duration, inj *stallInjector) (*Index, objectstore.Store, func()) {
	t.Helper()
	ctx := context.Background()
	base := mem.New()
	opts := Options{Indexer: IndexerOptions{Disabled: true, GCGrace: grace, KeepManifests: 1, NeighborhoodSize: 8, Seed: 1}}
	db0, err := Open(ctx, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db0.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db0.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	gcIx, err := db0.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, objectstore.NewFaults(base, inj), opts)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if _, err := gcIx.gc(ctx, grace, 1); err != nil {
				t.Errorf("gc: %v", err)
				return
			}
		}
	})
	stop := func() {
		close(done)
		wg.Wait()
		db.Close()
		db0.Close()
	}
	return ix, base, stop
}

// checkReadable fails unless, in a fresh process (no cached objects) on
// store, every key reads back with its vector and the index answers lists
// and exact queries with exactly the keys of want.
func checkReadable(t *testing.T, store objectstore.Store, want map[string][]float32) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, store, Options{Indexer: IndexerOptions{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	for k, vec := range want {
		got, err := ix.Get(ctx, []string{k}, GetOptions{ReturnData: true})
		if err != nil || len(got) != 1 || fmt.Sprint(got[0].Data) != fmt.Sprint(vec) {
			t.Errorf("acknowledged %s: got %v, %v; want %v", k, got, err, vec)
		}
	}
	page, _, err := ix.List(ctx, ListVectorsOptions{MaxResults: 100})
	if err != nil || len(page) != len(want) {
		t.Errorf("list: %d vectors, %v; want %d", len(page), err, len(want))
	}
	res, _, err := ix.Query(ctx, QueryRequest{Vector: []float32{1, 1}, TopK: 100, Exact: true})
	if err != nil || len(res) != len(want) {
		t.Errorf("exact query: %d results, %v; want %d", len(res), err, len(want))
	}
}

// TestWriteOutlastingGCGrace stalls a writer between writing its WAL object
// and committing the manifest for several grace periods while GC runs: the
// write must still be acknowledged and readable (the WAL object is
// rewritten under a fresh name instead of being committed after GC
// collected it).
func TestWriteOutlastingGCGrace(t *testing.T) {
	const grace = 60 * time.Millisecond
	inj := &stallInjector{
		trigger: func(op objectstore.Op) bool { return op.Kind == objectstore.OpPut && strings.Contains(op.Key, "/wal/") },
		stall:   func(op objectstore.Op) bool { return isManifest(op) && op.Kind != objectstore.OpPut },
		dur:     6 * grace,
	}
	ix, base, stop := stallHarness(t, grace, inj)
	defer stop()
	ctx := context.Background()
	want := map[string][]float32{"a": {1, 2}}
	if err := ix.Put(ctx, []Vector{{Key: "a", Data: want["a"]}}); err != nil {
		t.Fatalf("put: %v", err)
	}
	if !inj.fired.Load() {
		t.Fatal("the stall never triggered")
	}
	if err := ix.Put(ctx, []Vector{{Key: "b", Data: []float32{3, 4}}}); err != nil {
		t.Fatalf("second put: %v", err)
	}
	want["b"] = []float32{3, 4}
	time.Sleep(3 * grace) // let GC collect whatever is unreferenced
	checkReadable(t, base, want)
}

// TestManifestPutOutlastingGCGrace stalls the manifest Put itself for
// several grace periods while GC collects the WAL object: the write must
// either fail (not acknowledged) or be readable, and the index must stay
// readable either way.
func TestManifestPutOutlastingGCGrace(t *testing.T) {
	const grace = 60 * time.Millisecond
	inj := &stallInjector{
		trigger: func(op objectstore.Op) bool { return op.Kind == objectstore.OpPut && strings.Contains(op.Key, "/wal/") },
		stall:   func(op objectstore.Op) bool { return isManifest(op) && op.Kind == objectstore.OpPut },
		dur:     6 * grace,
	}
	ix, base, stop := stallHarness(t, grace, inj)
	defer stop()
	ctx := context.Background()
	want := map[string][]float32{}
	err := ix.Put(ctx, []Vector{{Key: "a", Data: []float32{1, 2}}})
	if err == nil {
		want["a"] = []float32{1, 2}
	} else {
		t.Logf("stalled put failed: %v", err)
	}
	time.Sleep(time.Until(time.Unix(0, inj.until.Load())) + 3*grace)
	if err := ix.Put(ctx, []Vector{{Key: "b", Data: []float32{3, 4}}}); err != nil {
		t.Fatalf("put after the stall: %v", err)
	}
	want["b"] = []float32{3, 4}
	checkReadable(t, base, want)
}

// TestFoldOutlastingGCGrace stalls a fold between writing its
// neighborhoods and committing the manifest for several grace periods
// while GC runs: the fold must be abandoned and redone, never commit
// neighborhoods GC collected.
func TestFoldOutlastingGCGrace(t *testing.T) {
	const grace = 60 * time.Millisecond
	inj := &stallInjector{
		trigger: func(op objectstore.Op) bool {
			return op.Kind == objectstore.OpPut && strings.Contains(op.Key, "/centroids/")
		},
		stall: func(op objectstore.Op) bool { return isManifest(op) && op.Kind != objectstore.OpPut },
		dur:   6 * grace,
	}
	ix, base, stop := stallHarness(t, grace, inj)
	defer stop()
	ctx := context.Background()
	want := map[string][]float32{}
	var batch []Vector
	for i := range 40 {
		v := Vector{Key: fmt.Sprintf("k%02d", i), Data: []float32{float32(i % 7), float32(i / 7)}}
		batch = append(batch, v)
		want[v.Key] = v.Data
	}
	if err := ix.Put(ctx, batch); err != nil {
		t.Fatal(err)
	}
	err := ix.Compact(ctx)
	if !inj.fired.Load() {
		t.Fatal("the stall never triggered")
	}
	if err != nil && !errors.Is(err, errFoldExpired) {
		t.Fatalf("compact: %v", err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatalf("compact after the stall: %v", err)
	}
	time.Sleep(3 * grace)
	checkReadable(t, base, want)
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.m.Neighborhoods) == 0 || len(v.m.WAL) != 0 {
		t.Errorf("not folded: %d neighborhoods, %d WAL objects", len(v.m.Neighborhoods), len(v.m.WAL))
	}
}
