package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// waitTrees waits for every centroid tree build db has started.
func waitTrees(db *DB) {
	db.centroids.mu.Lock()
	var es []*treeEntry
	for _, e := range db.centroids.trees {
		es = append(es, e)
	}
	db.centroids.mu.Unlock()
	for _, e := range es {
		<-e.done
	}
}

// TestQueryCentroidTree lowers the tree threshold so that unfiltered
// approximate queries choose their neighborhoods with the centroid tree, and
// checks they find what exhaustive centroid selection finds (the tree's
// overlap is measured in neighborhoods; here ≥ 0.99 of the result keys), for
// euclidean and cosine. (A table this small is scanned whole by the tree's
// default budget, so this tests the wiring and the mapping back to table
// rows; the overlap at a partial scan is neighborhoods' TestCentroidTreeOverlap.)
func TestQueryCentroidTree(t *testing.T) {
	old := centroidTreeMin
	t.Cleanup(func() { centroidTreeMin = old })
	ctx := context.Background()
	for _, m := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.Cosine} {
		const dim, n = 16, 6000
		ix := newTestIndex(t, IndexConfig{Dimension: dim, Metric: m}, Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 20, Seed: 3}})
		r := rand.New(rand.NewPCG(9, 9))
		for lo := 0; lo < n; lo += 500 {
			batch := make([]Vector, 500)
			for j := range batch {
				batch[j] = Vector{Key: fmt.Sprintf("k%05d", lo+j), Data: randVec(r, dim)}
			}
			if err := ix.Put(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		if err := ix.Compact(ctx); err != nil {
			t.Fatal(err)
		}
		queries := make([][]float32, 100)
		for i := range queries {
			queries[i] = randVec(r, dim)
		}
		run := func() [][]QueryResult {
			out := make([][]QueryResult, len(queries))
			for i, q := range queries {
				res, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, NProbe: 16})
				if err != nil {
					t.Fatal(err)
				}
				out[i] = res
			}
			return out
		}
		centroidTreeMin = 1 << 30
		want := run()
		centroidTreeMin = 64
		run() // starts the build
		waitTrees(ix.db)
		if len(ix.db.centroids.trees) == 0 {
			t.Fatalf("%v: no centroid tree was built", m)
		}
		got := run()
		hits, total := 0, 0
		for i := range got {
			hits += keysFound(want[i], got[i])
			total += len(want[i])
		}
		if f := float64(hits) / float64(total); f < 0.99 {
			t.Errorf("%v: tree queries find %.3f of the exhaustive-selection results, want ≥ 0.99", m, f)
		}
	}
}
