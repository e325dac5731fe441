package index

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// TestFaultInjection fails store operation n (n = 0, 1, 2, …) of a write,
// compaction and GC workload, plainly and ambiguously (the operation runs,
// then fails), until the workload runs without reaching operation n. Every
// failure must surface as an error; after each run the index must reopen
// consistent, with every acknowledged write present and every acknowledged
// delete absent.
func TestFaultInjection(t *testing.T) {
	for _, amb := range []bool{false, true} {
		t.Run(fmt.Sprintf("ambiguous=%v", amb), func(t *testing.T) {
			for n := int64(0); ; n++ {
				if !faultRun(t, n, amb) {
					t.Logf("workload passed untouched at n=%d", n)
					return
				}
				if n > 2000 {
					t.Fatal("workload never finished")
				}
			}
		})
	}
}

// injectedKeys records the keys of the operations its Injector failed.
type injectedKeys struct {
	objectstore.Injector
	mu   sync.Mutex
	keys []string
}

func (r *injectedKeys) MaybeError(op objectstore.Op) error {
	err := r.Injector.MaybeError(op)
	if err != nil {
		r.mu.Lock()
		r.keys = append(r.keys, op.Key)
		r.mu.Unlock()
	}
	return err
}

// onlyHead reports whether every failed operation was on a head object.
func (r *injectedKeys) onlyHead() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.keys {
		if !strings.HasSuffix(k, "/head") {
			return false
		}
	}
	return len(r.keys) > 0
}

// faultRun returns whether a fault was injected.
func faultRun(t *testing.T, n int64, ambiguous bool) bool {
	ctx := context.Background()
	const dim = 4
	base := mem.New()
	opts := Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1}, NoCentroidPrefetch: true}
	db0, _ := Open(ctx, base, opts)
	if _, err := db0.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db0.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: dim, Metric: neighborhoods.Euclidean}, nil); err != nil {
		t.Fatal(err)
	}
	db0.Close()

	var inj objectstore.Injector = objectstore.OnIndex(n)
	if ambiguous {
		inj = objectstore.Ambiguous(inj)
	}
	rec := &injectedKeys{Injector: inj}
	fs := objectstore.NewFaults(base, rec)
	db, _ := Open(ctx, fs, opts)
	r := rand.New(rand.NewPCG(uint64(n), 3))
	acked := map[string][]float32{} // key → vector of an acknowledged put
	maybe := map[string]bool{}      // keys whose last write failed (unknown outcome)
	gone := map[string]bool{}       // acknowledged deletes
	next := 0
	step := func(i int) error {
		ix, err := db.Index(ctx, "bkt", "idx")
		if err != nil {
			return err
		}
		switch i % 4 {
		case 0, 1:
			batch := make([]Vector, 15)
			for j := range batch {
				batch[j] = Vector{Key: fmt.Sprintf("k%04d", next), Data: randVec(r, dim)}
				next++
			}
			err := ix.Put(ctx, batch)
			for _, v := range batch {
				if err == nil {
					acked[v.Key] = v.Data
				} else {
					maybe[v.Key] = true
				}
			}
			return err
		case 2:
			var keys []string
			for k := range acked {
				if len(keys) < 5 {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				return nil
			}
			err := ix.Delete(ctx, keys)
			for _, k := range keys {
				if err == nil {
					delete(acked, k)
					gone[k] = true
				} else {
					maybe[k] = true
					delete(acked, k)
				}
			}
			return err
		default:
			if err := ix.Compact(ctx); err != nil {
				return err
			}
			_, err := ix.gc(ctx, 0, 1)
			return err
		}
	}
	failures := 0
	for i := range 16 {
		if err := step(i); err != nil {
			if !errors.Is(err, objectstore.ErrInjected) {
				t.Fatalf("n=%d step %d: error %v does not carry the injected fault", n, i, err)
			}
			failures++
		}
	}
	db.Close()
	// A failed head write is ignored by design (the head is a hint).
	if fs.Injected() > 0 && failures == 0 && !rec.onlyHead() {
		t.Fatalf("n=%d: a fault was injected but no call reported an error", n)
	}

	// Reopen on the healthy store and check.
	db2, _ := Open(ctx, base, opts)
	defer db2.Close()
	ix, err := db2.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatalf("n=%d: reopen: %v", n, err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatalf("n=%d: compact after reopen: %v", n, err)
	}
	if _, err := ix.gc(ctx, 0, 1); err != nil {
		t.Fatalf("n=%d: gc after reopen: %v", n, err)
	}
	listed := map[string]bool{}
	tok := ""
	for {
		page, nt, err := ix.List(ctx, ListVectorsOptions{MaxResults: 100, Token: tok, GetOptions: GetOptions{ReturnData: true}})
		if err != nil {
			t.Fatalf("n=%d: list: %v", n, err)
		}
		for _, v := range page {
			listed[v.Key] = true
			if want, ok := acked[v.Key]; ok && fmt.Sprint(want) != fmt.Sprint(v.Data) {
				t.Errorf("n=%d: %s has the wrong vector", n, v.Key)
			}
		}
		if nt == "" {
			break
		}
		tok = nt
	}
	for k := range acked {
		if !listed[k] {
			t.Errorf("n=%d: acknowledged put %s lost", n, k)
		}
	}
	for k := range listed {
		if _, ok := acked[k]; !ok && !maybe[k] {
			t.Errorf("n=%d: %s present but never acknowledged (deleted=%v)", n, k, gone[k])
		}
	}
	// Exact queries agree with the listing, and no object is left unreferenced.
	res, _, err := ix.Query(ctx, QueryRequest{Vector: randVec(r, dim), TopK: 1000, Exact: true})
	if err != nil || len(res) != len(listed) {
		t.Errorf("n=%d: exact query returned %d of %d (%v)", n, len(res), len(listed), err)
	}
	v, _ := ix.current(ctx)
	refs := map[string]bool{}
	for _, o := range v.m.objects() {
		refs[o] = true
	}
	for a, err := range objectstore.All(ctx, base, dataDir(ix.id)) {
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := parseManifestKey(a.Key); !ok && !refs[a.Key] && a.Key != headKey(ix.id) {
			t.Errorf("n=%d: unreferenced object %s survived GC", n, a.Key)
		}
	}
	return fs.Injected() > 0
}

// TestRandomFaultsWithIndexer runs writers against a store that fails 3% of
// operations at random while the background indexer folds and collects
// garbage on the same faulty store. Writers retry failed calls; after the
// run the index, reopened on the healthy store, must hold exactly the
// acknowledged state (a failed call may or may not have landed).
func TestRandomFaultsWithIndexer(t *testing.T) {
	ctx := context.Background()
	const dim = 6
	base := mem.New()
	opts := Options{Indexer: IndexerOptions{BuildThreshold: 60, FoldThreshold: 30, NeighborhoodSize: 20, Seed: 2,
		GCInterval: 10 * time.Millisecond, GCGrace: 300 * time.Millisecond, KeepManifests: 1, IdleFold: 20 * time.Millisecond}}
	healthy := opts
	passes := indexerPasses(&opts)
	db0, _ := Open(ctx, base, healthy)
	if _, err := db0.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db0.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: dim, Metric: neighborhoods.Cosine}, nil); err != nil {
		t.Fatal(err)
	}
	db0.Close()

	fs := objectstore.NewFaults(base, objectstore.Random(0.03, 11))
	db, _ := Open(ctx, fs, opts)
	var ix *Index
	for {
		var err error
		if ix, err = db.Index(ctx, "bkt", "idx"); err == nil {
			break
		}
	}
	r := rand.New(rand.NewPCG(4, 4))
	state := map[string][]float32{} // acknowledged state; absent = deleted or never written
	uncertain := map[string]bool{}
	for op := range 300 {
		key := fmt.Sprintf("k%03d", r.IntN(120))
		if r.IntN(3) == 0 {
			err := ix.Delete(ctx, []string{key})
			if err == nil {
				delete(state, key)
				delete(uncertain, key)
			} else {
				uncertain[key] = true
			}
			continue
		}
		vec := randVec(r, dim)
		if err := ix.Put(ctx, []Vector{{Key: key, Data: vec}}); err == nil {
			state[key] = vec
			delete(uncertain, key)
		} else if !errors.Is(err, objectstore.ErrInjected) {
			t.Fatalf("op %d: %v is not an injected fault", op, err)
		} else {
			uncertain[key] = true
		}
	}
	// The indexer folds what is left once the writes stop (IdleFold),
	// through the faults.
	injectedBefore := fs.Injected()
	n := waitFolded(t, ix, passes, waitTimeout)
	db.Close()
	t.Logf("folded after %d more indexer passes; %d faults injected meanwhile", n, fs.Injected()-injectedBefore)
	if fs.Injected() == 0 {
		t.Fatal("no fault was injected")
	}
	db2, _ := Open(ctx, base, Options{Indexer: IndexerOptions{Disabled: true}})
	defer db2.Close()
	ix2, err := db2.Index(ctx, "bkt", "idx")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]float32{}
	page, _, err := ix2.List(ctx, ListVectorsOptions{MaxResults: 1000, GetOptions: GetOptions{ReturnData: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range page {
		got[v.Key] = v.Data
	}
	for k, want := range state {
		if uncertain[k] {
			continue
		}
		if g, ok := got[k]; !ok || fmt.Sprint(g) != fmt.Sprint(want) {
			t.Errorf("acknowledged %s: got %v, want %v", k, g, want)
		}
	}
	for k := range got {
		if _, ok := state[k]; !ok && !uncertain[k] {
			t.Errorf("%s present but acknowledged deleted or never written", k)
		}
	}
	t.Logf("%d faults injected; %d keys live, %d uncertain", fs.Injected(), len(got), len(uncertain))
}
