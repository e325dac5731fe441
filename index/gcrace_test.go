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

// stallStore passes every operation to the store underneath, except that
// once an operation matching trigger has started, every operation matching
// stall waits until release is called or its context ends. A test thus
// holds a writer at a point of its choosing for as long as it takes to do
// what it wants meanwhile (advance the clock past the grace period, run
// GC), instead of for a timed period.
type stallStore struct {
	objectstore.Store
	trigger, stall func(objectstore.Op) bool
	fired          atomic.Bool
	lastTrigger    atomic.Value        // string: key of the latest operation matching trigger
	stalled        chan objectstore.Op // each operation as it starts to wait
	gaveUp         chan error          // each stalled operation whose context ended first
	released       chan struct{}
	releaseOnce    sync.Once
}

func newStallStore(s objectstore.Store, trigger, stall func(objectstore.Op) bool) *stallStore {
	return &stallStore{Store: s, trigger: trigger, stall: stall,
		stalled: make(chan objectstore.Op, 64), gaveUp: make(chan error, 64), released: make(chan struct{})}
}

// release ends the stall: waiting operations go ahead, later ones run at once.
func (s *stallStore) release() { s.releaseOnce.Do(func() { close(s.released) }) }

func (s *stallStore) wait(ctx context.Context, op objectstore.Op) error {
	if s.trigger(op) {
		s.lastTrigger.Store(op.Key)
		s.fired.Store(true)
		return nil
	}
	if !s.fired.Load() || !s.stall(op) {
		return nil
	}
	select {
	case <-s.released:
		return nil
	default:
	}
	select { // buffered; never block the store on a test that stopped listening
	case s.stalled <- op:
	default:
	}
	select {
	case <-s.released:
		return nil
	case <-ctx.Done():
		select {
		case s.gaveUp <- ctx.Err():
		default:
		}
		return fmt.Errorf("%s %s: %w", op.Kind, op.Key, ctx.Err())
	}
}

func (s *stallStore) Get(ctx context.Context, key string) ([]byte, objectstore.Attrs, error) {
	if err := s.wait(ctx, objectstore.Op{Kind: objectstore.OpGet, Key: key}); err != nil {
		return nil, objectstore.Attrs{}, err
	}
	return s.Store.Get(ctx, key)
}

func (s *stallStore) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, objectstore.Attrs, error) {
	if err := s.wait(ctx, objectstore.Op{Kind: objectstore.OpGetRange, Key: key}); err != nil {
		return nil, objectstore.Attrs{}, err
	}
	return s.Store.GetRange(ctx, key, offset, length)
}

func (s *stallStore) Head(ctx context.Context, key string) (objectstore.Attrs, error) {
	if err := s.wait(ctx, objectstore.Op{Kind: objectstore.OpHead, Key: key}); err != nil {
		return objectstore.Attrs{}, err
	}
	return s.Store.Head(ctx, key)
}

func (s *stallStore) Put(ctx context.Context, key string, data []byte, cond objectstore.Condition) (objectstore.Attrs, error) {
	if err := s.wait(ctx, objectstore.Op{Kind: objectstore.OpPut, Key: key}); err != nil {
		return objectstore.Attrs{}, err
	}
	return s.Store.Put(ctx, key, data, cond)
}

func (s *stallStore) Delete(ctx context.Context, key string) error {
	if err := s.wait(ctx, objectstore.Op{Kind: objectstore.OpDelete, Key: key}); err != nil {
		return err
	}
	return s.Store.Delete(ctx, key)
}

func (s *stallStore) List(ctx context.Context, opts objectstore.ListOptions) (objectstore.Page, error) {
	if err := s.wait(ctx, objectstore.Op{Kind: objectstore.OpList, Key: opts.Prefix}); err != nil {
		return objectstore.Page{}, err
	}
	return s.Store.List(ctx, opts)
}

// awaitStalled waits for the first operation to stall.
func (s *stallStore) awaitStalled(t *testing.T) objectstore.Op {
	t.Helper()
	select {
	case op := <-s.stalled:
		return op
	case <-time.After(waitTimeout):
		t.Fatalf("timed out after %v waiting for an operation to stall (triggered: %v)", waitTimeout, s.fired.Load())
	}
	panic("unreachable")
}

func isManifest(op objectstore.Op) bool { return strings.Contains(op.Key, "/manifest/") }

// stallHarness opens an index whose store stalls as ss says (ss wraps the
// store it returns, whose clock is clk), and a handle on the same index
// through the healthy store, as another process would have, to run GC with
// grace on. The index, the store and the clock share clk. Cleanup releases
// the stall before it closes the indexes.
func stallHarness(t *testing.T, grace time.Duration, trigger, stall func(objectstore.Op) bool) (ix, gcIx *Index, ss *stallStore, clk *testClock) {
	t.Helper()
	ctx := context.Background()
	clk = &testClock{}
	base := mem.NewWithClock(clk.now)
	opts := Options{Now: clk.now, Indexer: IndexerOptions{Disabled: true, GCGrace: grace, KeepManifests: 1, NeighborhoodSize: 8, Seed: 1}}
	db0, err := Open(ctx, base, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db0.Close() })
	if _, err := db0.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db0.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	if gcIx, err = db0.Index(ctx, "bkt", "idx"); err != nil {
		t.Fatal(err)
	}
	ss = newStallStore(base, trigger, stall)
	db, err := Open(ctx, ss, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t.Cleanup(ss.release) // first: a failed test must not leave a writer stalled in Close
	if ix, err = db.Index(ctx, "bkt", "idx"); err != nil {
		t.Fatal(err)
	}
	return ix, gcIx, ss, clk
}

// gcCollects runs one GC pass on gcIx and fails t unless it deleted key
// (an object the stalled writer wrote and has not committed).
func gcCollects(t *testing.T, gcIx *Index, grace time.Duration, key string) {
	t.Helper()
	ctx := context.Background()
	st, err := gcIx.gc(ctx, grace, 1)
	if err != nil {
		t.Fatalf("gc: %v", err)
	}
	if _, err := gcIx.store.Head(ctx, key); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("GC during the stall left %s (%v; %+v): the stall did not outlast the grace period", key, err, st)
	}
}

// gcPass runs one GC pass on gcIx.
func gcPass(t *testing.T, gcIx *Index, grace time.Duration) {
	t.Helper()
	if _, err := gcIx.gc(context.Background(), grace, 1); err != nil {
		t.Fatalf("gc: %v", err)
	}
}

// async runs fn in a goroutine and returns its result on a channel.
func async(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

// awaitErr waits for the result of what (from async).
func awaitErr(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
	}
	panic("unreachable")
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
// and committing the manifest for six grace periods (on the injected
// clock), during which GC collects that WAL object: the write must still be
// acknowledged and readable (the WAL object is rewritten under a fresh
// name instead of being committed after GC collected it).
func TestWriteOutlastingGCGrace(t *testing.T) {
	const grace = time.Minute // on the injected clock: never reached by real time
	ix, gcIx, ss, clk := stallHarness(t, grace,
		func(op objectstore.Op) bool { return op.Kind == objectstore.OpPut && strings.Contains(op.Key, "/wal/") },
		func(op objectstore.Op) bool { return isManifest(op) && op.Kind != objectstore.OpPut })
	ctx := context.Background()
	want := map[string][]float32{"a": {1, 2}}
	put := async(func() error { return ix.Put(ctx, []Vector{{Key: "a", Data: want["a"]}}) })
	op := ss.awaitStalled(t)
	wal := ss.lastTrigger.Load().(string)
	t.Logf("writer stalled at %s %s after writing %s", op.Kind, op.Key, wal)
	clk.advance(6 * grace)
	gcCollects(t, gcIx, grace, wal)
	ss.release()
	if err := awaitErr(t, put, "the stalled put"); err != nil {
		t.Fatalf("put: %v", err)
	}
	if err := ix.Put(ctx, []Vector{{Key: "b", Data: []float32{3, 4}}}); err != nil {
		t.Fatalf("second put: %v", err)
	}
	want["b"] = []float32{3, 4}
	clk.advance(3 * grace) // GC may now collect whatever is unreferenced
	gcPass(t, gcIx, grace)
	checkReadable(t, gcIx.store, want)
}

// TestManifestPutOutlastingGCGrace stalls the manifest Put itself while GC
// collects the WAL object: the Put must give up at its deadline (a fraction
// of the grace period, on a real timer, the one wait here that real time
// must pass), and the write then fail (not acknowledged) or be readable;
// the index must stay readable either way.
func TestManifestPutOutlastingGCGrace(t *testing.T) {
	const grace = 200 * time.Millisecond // the Put's deadline is ¾ of it
	ix, gcIx, ss, clk := stallHarness(t, grace,
		func(op objectstore.Op) bool { return op.Kind == objectstore.OpPut && strings.Contains(op.Key, "/wal/") },
		func(op objectstore.Op) bool { return isManifest(op) && op.Kind == objectstore.OpPut })
	ctx := context.Background()
	want := map[string][]float32{}
	put := async(func() error { return ix.Put(ctx, []Vector{{Key: "a", Data: []float32{1, 2}}}) })
	ss.awaitStalled(t)
	wal := ss.lastTrigger.Load().(string)
	select {
	case err := <-ss.gaveUp:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the stalled manifest Put ended with %v, want its deadline", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("the stalled manifest Put still waits after %v: the commit has no deadline", waitTimeout)
	}
	clk.advance(6 * grace)
	gcCollects(t, gcIx, grace, wal)
	ss.release()
	if err := awaitErr(t, put, "the stalled put"); err == nil {
		want["a"] = []float32{1, 2}
	} else {
		t.Logf("stalled put failed: %v", err)
	}
	if err := ix.Put(ctx, []Vector{{Key: "b", Data: []float32{3, 4}}}); err != nil {
		t.Fatalf("put after the stall: %v", err)
	}
	want["b"] = []float32{3, 4}
	checkReadable(t, gcIx.store, want)
}

// TestFoldOutlastingGCGrace stalls a fold between writing its
// neighborhoods and committing the manifest for six grace periods (on the
// injected clock), during which GC collects what the fold wrote: the fold
// must be abandoned and redone, never commit neighborhoods GC collected.
func TestFoldOutlastingGCGrace(t *testing.T) {
	const grace = time.Minute // on the injected clock: never reached by real time
	ix, gcIx, ss, clk := stallHarness(t, grace,
		func(op objectstore.Op) bool {
			return op.Kind == objectstore.OpPut && strings.Contains(op.Key, "/centroids/")
		},
		func(op objectstore.Op) bool { return isManifest(op) && op.Kind != objectstore.OpPut })
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
	compact := async(func() error { return ix.Compact(ctx) })
	ss.awaitStalled(t)
	clk.advance(6 * grace)
	gcCollects(t, gcIx, grace, ss.lastTrigger.Load().(string))
	ss.release()
	if err := awaitErr(t, compact, "the stalled compaction"); err != nil && !errors.Is(err, errFoldExpired) {
		t.Fatalf("compact: %v", err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatalf("compact after the stall: %v", err)
	}
	clk.advance(3 * grace) // GC may now collect whatever is unreferenced
	gcPass(t, gcIx, grace)
	checkReadable(t, gcIx.store, want)
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.m.Neighborhoods) == 0 || len(v.m.WAL) != 0 {
		t.Errorf("not folded: %d neighborhoods, %d WAL objects", len(v.m.Neighborhoods), len(v.m.WAL))
	}
}
