package index

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// TestQueryKeepsCallerVector: the pooled per-query scratch must not keep
// the caller's query vector. A euclidean query scores the vector it was
// given; had its scratch kept that slice as the buffer for normalized
// cosine queries, the next cosine query would write into the caller's
// memory (in the server: a pooled request buffer reused by a concurrent
// request), which made TestTwoNodesMem find another node's vector at
// distance 0 now and then.
func TestQueryKeepsCallerVector(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, mem.New(), Options{Indexer: IndexerOptions{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	ixs := map[neighborhoods.Metric]*Index{}
	for _, m := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.Cosine, neighborhoods.DotProduct} {
		name := "idx-" + m.String()
		if _, err := db.CreateIndex(ctx, "bkt", name, IndexConfig{Dimension: 16, Metric: m}, nil); err != nil {
			t.Fatal(err)
		}
		ix, err := db.Index(ctx, "bkt", name)
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Put(ctx, []Vector{{Key: "a", Data: randVec(r, 16)}, {Key: "b", Data: randVec(r, 16)}}); err != nil {
			t.Fatal(err)
		}
		ixs[m] = ix
	}
	for _, first := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.DotProduct} {
		for range 50 {
			x := randVec(r, 16)
			keep := slices.Clone(x)
			if _, _, err := ixs[first].Query(ctx, QueryRequest{Vector: x, TopK: 1}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := ixs[neighborhoods.Cosine].Query(ctx, QueryRequest{Vector: randVec(r, 16), TopK: 1}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(x, keep) {
				t.Fatalf("a cosine query after a %v query wrote into that query's vector: %v, was %v", first, x, keep)
			}
		}
	}
}
