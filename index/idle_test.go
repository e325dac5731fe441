package index

import (
	"context"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// TestIdleFoldWithFrequentGC: a WAL tail below every threshold is folded
// once the index has been idle for IdleFold, even when the GC ticker fires
// more often than that (a GC pass is not a write: it must not postpone the
// idle fold).
func TestIdleFoldWithFrequentGC(t *testing.T) {
	ctx := context.Background()
	opts := Options{Indexer: IndexerOptions{BuildThreshold: 1000, FoldThreshold: 1000, Seed: 1,
		GCInterval: 5 * time.Millisecond, IdleFold: 50 * time.Millisecond}}
	passes := indexerPasses(&opts)
	ix := newTestIndex(t, IndexConfig{Dimension: 2, Metric: neighborhoods.Euclidean}, opts)
	if err := ix.Put(ctx, []Vector{{Key: "a", Data: []float32{1, 2}}, {Key: "b", Data: []float32{3, 4}}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n := waitFolded(t, ix, passes, 5*time.Second)
	t.Logf("folded after %d indexer passes, %v", n, time.Since(start))
}
