package index

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// oracle is the brute-force model: the committed state of an index.
type oracle struct {
	mu   sync.Mutex
	vecs map[string]Vector
}

func (o *oracle) put(vs []Vector) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, v := range vs {
		o.vecs[v.Key] = v
	}
}

func (o *oracle) del(keys []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, k := range keys {
		delete(o.vecs, k)
	}
}

// query returns brute-force results using the engine's own scoring function.
func (o *oracle) query(metric neighborhoods.Metric, q []float32, k int, match func(json.RawMessage) bool) []QueryResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	sc := newScorer(metric, q)
	type h struct {
		key   string
		score float32
	}
	var all []h
	for key, v := range o.vecs {
		if match != nil && !match(v.Metadata) {
			continue
		}
		norm := neighborhoods.Norm(v.Data)
		all = append(all, h{key, sc.score(v.Data, norm)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score < all[j].score
		}
		return all[i].key < all[j].key
	})
	out := make([]QueryResult, 0, k)
	for _, x := range all[:min(k, len(all))] {
		out = append(out, QueryResult{Key: x.key, Distance: metric.ScoreToDistance(x.score)})
	}
	return out
}

// randVectors returns n vectors keyed k000, k001, … with randVec data.
func randVectors(r *rand.Rand, n, dim int) []Vector {
	vs := make([]Vector, n)
	for i := range vs {
		vs[i] = Vector{Key: fmt.Sprintf("k%03d", i), Data: randVec(r, dim)}
	}
	return vs
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func keysOf(rs []QueryResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out
}

// TestModel runs random puts, overwrites, deletes, gets, lists and exact
// queries from several goroutines with the background indexer running and
// forced compactions, checking every read against the oracle. Each worker
// owns a disjoint key range, so the oracle state of its keys is exact at
// every read, whatever the other workers do.
func TestModel(t *testing.T) {
	for _, metric := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.Cosine} {
		t.Run(metric.String(), func(t *testing.T) { testModel(t, metric) })
	}
}

func testModel(t *testing.T, metric neighborhoods.Metric) {
	ctx := context.Background()
	const dim, workers = 8, 4
	ops := 400
	if testing.Short() {
		ops = 120
	}
	// GC runs constantly with a short grace period, so readers race it.
	// The store and the index share a clock the test advances at the end.
	const grace = 400 * time.Millisecond
	clk := &testClock{}
	db, err := Open(ctx, mem.NewWithClock(clk.now), Options{Now: clk.now, Indexer: IndexerOptions{BuildThreshold: 200, FoldThreshold: 50, NeighborhoodSize: 40, Seed: 1,
		GCInterval: 20 * time.Millisecond, GCGrace: grace, KeepManifests: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: dim, Metric: metric}, nil); err != nil {
		t.Fatal(err)
	}
	ix, err := db.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := modelWorker(ctx, ix, metric, w, ops, dim); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 5 {
			if err := ix.Compact(ctx); err != nil {
				errs <- fmt.Errorf("compact: %w", err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.m.Neighborhoods) == 0 || len(v.m.WAL) != 0 {
		t.Errorf("after Compact: %d neighborhoods, %d WAL objects; want >0 and 0", len(v.m.Neighborhoods), len(v.m.WAL))
	}
	// After the grace period, GC leaves the newest generation and its objects only.
	clk.advance(grace + time.Millisecond)
	st, err := ix.GC(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GC after the grace period: %+v", st)
	n := 0
	for _, err := range listAfter(ctx, db.store, dataDir(ix.id), "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	want := 1 + len(v.m.objects())
	if _, err := db.store.Head(ctx, headKey(ix.id)); err == nil {
		want++ // the head object (head.go), which GC keeps
	}
	if n != want {
		t.Errorf("%d objects after GC, want %d (one manifest, what it references, the head)", n, want)
	}
}

func modelWorker(ctx context.Context, ix *Index, metric neighborhoods.Metric, w, ops, dim int) error {
	r := rand.New(rand.NewPCG(uint64(w), 7))
	o := &oracle{vecs: map[string]Vector{}}
	key := func() string { return fmt.Sprintf("w%d-k%03d", w, r.IntN(150)) }
	for op := range ops {
		switch x := r.IntN(100); {
		case x < 45:
			n := 1 + r.IntN(30)
			batch := make([]Vector, n)
			for i := range batch {
				batch[i] = Vector{Key: key(), Data: randVec(r, dim), Metadata: json.RawMessage(fmt.Sprintf(`{"w":%d,"c":%d}`, w, r.IntN(4)))}
			}
			if err := ix.Put(ctx, batch); err != nil {
				return err
			}
			o.put(batch)
		case x < 60:
			keys := make([]string, 1+r.IntN(10))
			for i := range keys {
				keys[i] = key()
			}
			if err := ix.Delete(ctx, keys); err != nil {
				return err
			}
			o.del(keys)
		case x < 75:
			keys := make([]string, 1+r.IntN(20))
			for i := range keys {
				keys[i] = key()
			}
			got, err := ix.Get(ctx, keys, GetOptions{ReturnData: true, ReturnMetadata: true})
			if err != nil {
				return err
			}
			gotm := map[string]Vector{}
			for _, g := range got {
				gotm[g.Key] = g
			}
			for _, k := range keys {
				want, ok := o.vecs[k]
				g, has := gotm[k]
				if ok != has {
					return fmt.Errorf("op %d: Get %s: present=%v, oracle=%v", op, k, has, ok)
				}
				if ok && (!slices.Equal(g.Data, want.Data) || string(g.Metadata) != string(want.Metadata)) {
					return fmt.Errorf("op %d: Get %s: stale version", op, k)
				}
			}
		case x < 85:
			// List everything of this worker through 3 segments with small pages.
			seen := map[string]bool{}
			for seg := range 3 {
				tok := ""
				for {
					page, next, err := ix.List(ctx, ListVectorsOptions{MaxResults: 7, Token: tok, SegmentCount: 3, SegmentIndex: seg})
					if err != nil {
						return err
					}
					for _, v := range page {
						if seen[v.Key] {
							return fmt.Errorf("op %d: List returned %s twice", op, v.Key)
						}
						seen[v.Key] = true
					}
					if next == "" {
						break
					}
					tok = next
				}
			}
			prefix := fmt.Sprintf("w%d-", w)
			for k := range o.vecs {
				if !seen[k] {
					return fmt.Errorf("op %d: List misses %s", op, k)
				}
			}
			for k := range seen {
				if _, ok := o.vecs[k]; !ok && strings.HasPrefix(k, prefix) {
					return fmt.Errorf("op %d: List returns deleted %s", op, k)
				}
			}
		default:
			q := randVec(r, dim)
			k := 1 + r.IntN(15)
			filter := fmt.Sprintf(`{"w":%d}`, w)
			got, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: k, Filter: json.RawMessage(filter), Exact: true})
			if err != nil {
				return err
			}
			want := o.query(metric, q, k, nil)
			if !slices.Equal(keysOf(got), keysOf(want)) {
				return fmt.Errorf("op %d: exact query = %v, oracle %v", op, keysOf(got), keysOf(want))
			}
			for i := range got {
				if d := got[i].Distance - want[i].Distance; d > 1e-5 || d < -1e-5 {
					return fmt.Errorf("op %d: distance %v, oracle %v", op, got[i].Distance, want[i].Distance)
				}
			}
		}
	}
	return nil
}
