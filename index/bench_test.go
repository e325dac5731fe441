package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

func benchIndex(b *testing.B, store objectstore.Store, dim int, opts Options) *Index {
	return benchIndexMetric(b, store, dim, neighborhoods.Euclidean, opts)
}

// benchIndexMetric creates bkt/idx with the given metric and opens it.
func benchIndexMetric(b *testing.B, store objectstore.Store, dim int, metric neighborhoods.Metric, opts Options) *Index {
	ctx := context.Background()
	db, _ := Open(ctx, store, opts)
	b.Cleanup(func() { db.Close() })
	if _, err := db.CreateBucket(ctx, "bkt", BucketOptions{}); err != nil {
		b.Fatal(err)
	}
	if _, err := db.CreateIndex(ctx, "bkt", "idx", IndexConfig{Dimension: dim, Metric: metric}, nil); err != nil {
		b.Fatal(err)
	}
	ix, _ := db.Index(ctx, "bkt", "idx")
	return ix
}

// BenchmarkIngest measures Put throughput with batches of 500 new vectors
// (128 dims) from 1, 4 and 16 concurrent writers (group commit), in
// vectors/s, with the background indexer running. Use a fixed -benchtime
// such as 200x (100k vectors) so runs compare.
func BenchmarkIngest(b *testing.B) {
	for _, backend := range []string{"mem", "local"} {
		for _, writers := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("%s/writers=%d", backend, writers), func(b *testing.B) {
				var store objectstore.Store = mem.New()
				if backend == "local" {
					s, err := local.Open(b.TempDir())
					if err != nil {
						b.Fatal(err)
					}
					store = s
				}
				benchIngest(b, store, writers)
			})
		}
	}
}

func benchIngest(b *testing.B, store objectstore.Store, writers int) {
	const dim = 128
	ix := benchIndex(b, store, dim, Options{Indexer: IndexerOptions{Seed: 1}})
	r := rand.New(rand.NewPCG(1, 1))
	batches := make([][]Vector, 16)
	for i := range batches {
		batches[i] = make([]Vector, 500)
		for j := range batches[i] {
			batches[i][j] = Vector{Key: fmt.Sprintf("k%d-%d", i, j), Data: randVec(r, dim)}
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	var wg sync.WaitGroup
	next := make(chan int)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				// Fresh keys, so the index grows and the indexer works.
				batch := make([]Vector, 500)
				for j, v := range batches[i%len(batches)] {
					batch[j] = Vector{Key: fmt.Sprintf("k%d-%d", i, j), Data: v.Data}
				}
				if err := ix.Put(ctx, batch); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range b.N {
		next <- i
	}
	close(next)
	wg.Wait()
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "vectors/s")
}

// BenchmarkQuery measures single-threaded query throughput on 50k random
// 128-dim vectors folded into neighborhoods.
func BenchmarkQuery(b *testing.B) {
	const dim, n = 128, 50000
	ix := benchIndex(b, mem.New(), dim, Options{Indexer: IndexerOptions{Disabled: true, Seed: 1}})
	ctx := context.Background()
	r := rand.New(rand.NewPCG(2, 2))
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 500)
		for j := range batch {
			batch[j] = Vector{Key: fmt.Sprintf("k%06d", lo+j), Data: randVec(r, dim)}
		}
		if err := ix.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	qs := make([][]float32, 100)
	for i := range qs {
		qs[i] = randVec(r, dim)
	}
	b.ResetTimer()
	// Random Gaussian data has no cluster structure: the calibrated default
	// probes many neighborhoods to reach its recall target here.
	for _, nprobe := range []int{0, 8} {
		b.Run(fmt.Sprintf("nprobe=%d", nprobe), func(b *testing.B) {
			scored := 0
			for i := range b.N {
				_, st, err := ix.Query(ctx, QueryRequest{Vector: qs[i%len(qs)], TopK: 10, NProbe: nprobe})
				if err != nil {
					b.Fatal(err)
				}
				scored += st.VectorsScored
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			b.ReportMetric(float64(scored)/float64(b.N), "scored/query")
		})
	}
}
