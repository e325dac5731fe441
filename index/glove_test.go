package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// TestRecallGloVe ingests a seeded random 100k subset of GloVe-100's train
// vectors (cosine; the first 100k are the most frequent words, unlike the
// held-out test words; neighborhoods' recall test uses the same subset)
// through the write path, lets the background indexer build and settle, and checks
// recall@10 ≥ 0.95 with default settings against exact search.
func TestRecallGloVe(t *testing.T) {
	if testing.Short() {
		t.Skip("loads GloVe")
	}
	ctx := context.Background()
	ix, ds, _, settled := gloveSubsetIndex(t, neighborhoods.Cosine, 100000)
	ix.mu.Lock()
	t.Logf("settled after %d indexer passes: %d neighborhoods", settled, len(ix.cur.m.Neighborhoods))
	ix.mu.Unlock()
	recall, scored := recallVsExact(ctx, t, ix, ds)
	t.Logf("recall@10 = %.4f over %d queries, %.0f vectors scored per query", recall, ds.NTest, scored)
	if recall < 0.95 {
		t.Errorf("recall@10 = %.4f, want ≥ 0.95", recall)
	}
}

// gloveSubsetIndex loads GloVe-100 with 300 test words (a failure in CI, a
// skip elsewhere when it is not installed), puts the seeded random n-row
// subset of its train vectors into a new index of metric under keys
// g%07d (the row number), and waits for the background indexer to settle
// it. It returns the index, the data set, the subset's rows in ascending
// order and the indexer passes it took.
func gloveSubsetIndex(t *testing.T, metric neighborhoods.Metric, n int) (*Index, *datasets.Dataset, []int, int) {
	t.Helper()
	ctx := context.Background()
	ds, err := datasets.Load(ctx, "glove-100-angular", datasets.LoadOptions{MaxTest: 300, NoInstall: os.Getenv("CI") == ""})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("GloVe: %v", err)
		}
		t.Skipf("GloVe not installed: %v", err)
	}
	rows := rand.New(rand.NewPCG(42, 42)).Perm(ds.NTrain)[:n]
	slices.Sort(rows)
	opts := Options{Indexer: IndexerOptions{Seed: 1, IdleFold: 100 * time.Millisecond}}
	passes := indexerPasses(&opts)
	ix := newTestIndex(t, IndexConfig{Dimension: ds.Dim, Metric: metric}, opts)
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 0, 500)
		for _, i := range rows[lo:min(n, lo+500)] {
			batch = append(batch, Vector{Key: fmt.Sprintf("g%07d", i), Data: ds.TrainVec(i)})
		}
		if err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	return ix, ds, rows, waitFolded(t, ix, passes, 2*time.Minute)
}
