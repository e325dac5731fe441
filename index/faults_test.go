package index

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

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

// faultRun returns whether a fault was injected.
func faultRun(t *testing.T, n int64, ambiguous bool) bool {
	ctx := context.Background()
	const dim = 4
	base := mem.New()
	opts := Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 1}}
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
	fs := objectstore.NewFaults(base, inj)
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
	if fs.Injected() > 0 && failures == 0 {
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
		if _, ok := parseManifestKey(a.Key); !ok && !refs[a.Key] {
			t.Errorf("n=%d: unreferenced object %s survived GC", n, a.Key)
		}
	}
	return fs.Injected() > 0
}
