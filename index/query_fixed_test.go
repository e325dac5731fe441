package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// fixedIndex builds a small folded index (n random vectors) whose queries at
// nprobe 1 cost little besides the fixed per-query work: validation, view,
// probe selection, scratch, result building.
func fixedIndex(tb testing.TB, dim, n int, metric neighborhoods.Metric, opts Options) (*Index, [][]float32) {
	ctx := context.Background()
	db, _ := Open(ctx, mem.New(), opts)
	tb.Cleanup(func() { db.Close() })
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: dim, Metric: metric}, nil); err != nil {
		tb.Fatal(err)
	}
	ix, _ := db.Index(ctx, "bkt", "idx")
	r := rand.New(rand.NewPCG(uint64(dim), uint64(n)))
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 0, 500)
		for j := lo; j < min(n, lo+500); j++ {
			batch = append(batch, Vector{Key: fmt.Sprintf("k%06d", j), Data: randVec(r, dim)})
		}
		if err := ix.Put(ctx, batch); err != nil {
			tb.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		tb.Fatal(err)
	}
	qs := make([][]float32, 64)
	for i := range qs {
		qs[i] = randVec(r, dim)
	}
	// Warm: decode every neighborhood and build its codes / sketches.
	for _, q := range qs[:4] {
		if _, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, NProbe: 1 << 20}); err != nil {
			tb.Fatal(err)
		}
		if _, _, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, NProbe: 1}); err != nil {
			tb.Fatal(err)
		}
	}
	return ix, qs
}

var fixedCases = []struct {
	name   string
	dim    int
	metric neighborhoods.Metric
	opts   Options
}{
	{"cosine-100", 100, neighborhoods.Cosine, Options{}},
	{"cosine-100-noquant", 100, neighborhoods.Cosine, Options{NoQuantize: true}},
	{"l2-784-sketch", 784, neighborhoods.Euclidean, Options{}},
}

// BenchmarkQueryFixedCost measures the fixed cost per query: 2,000 vectors in
// neighborhoods of ~64, nprobe 1, top 10 (about 64 rows scored).
func BenchmarkQueryFixedCost(b *testing.B) {
	ctx := context.Background()
	for _, c := range fixedCases {
		b.Run(c.name, func(b *testing.B) {
			opts := c.opts
			opts.Indexer = IndexerOptions{Disabled: true, Seed: 1, NeighborhoodSize: 64}
			ix, qs := fixedIndex(b, c.dim, 2000, c.metric, opts)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, _, err := ix.Query(ctx, QueryRequest{Vector: qs[i%len(qs)], TopK: 10, NProbe: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
