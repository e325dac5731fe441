package index

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/local"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// BenchmarkSettleFashionMNIST ingests the 60k×784 Fashion-MNIST train set
// into an index on the local store (batches of 500, 4 writers, background
// indexer on) while one goroutine queries, and reports ingest vectors/s,
// queries/s during ingest, the time to the first neighborhood build and the
// time until the WAL is fully folded (settled).
func BenchmarkSettleFashionMNIST(b *testing.B) {
	ctx := context.Background()
	ds, err := datasets.Load(ctx, "fashion-mnist-784-euclidean", datasets.LoadOptions{NoInstall: true, MaxTest: 100})
	if err != nil {
		b.Skipf("Fashion-MNIST not installed: %v", err)
	}
	for _, withQueries := range []bool{false, true} {
		b.Run(fmt.Sprintf("queries=%v", withQueries), func(b *testing.B) {
			for range b.N {
				settleOnce(b, ds, withQueries)
			}
		})
	}
}

// BenchmarkSettleGloVe is BenchmarkSettleFashionMNIST on the 331,479×100
// GloVe-100 train set (cosine), without the query load.
func BenchmarkSettleGloVe(b *testing.B) {
	ds, err := datasets.Load(context.Background(), "glove-100-angular", datasets.LoadOptions{NoInstall: true, MaxTest: 100})
	if err != nil {
		b.Skipf("GloVe-100 not installed: %v", err)
	}
	for range b.N {
		settleOnce(b, ds, false)
	}
}

func settleOnce(b *testing.B, ds *datasets.Dataset, withQueries bool) {
	ctx := context.Background()
	{
		store, err := local.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		metric := neighborhoods.Euclidean
		if ds.Metric == datasets.Cosine {
			metric = neighborhoods.Cosine
		}
		ix := benchIndexMetric(b, store, ds.Dim, metric, Options{Indexer: IndexerOptions{Seed: 1}})
		start := time.Now()
		var firstBuild atomic.Int64
		stop := make(chan struct{})
		var queries atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // query load and build watcher
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if !withQueries {
					if v, err := ix.current(ctx); err == nil && len(v.m.Neighborhoods) > 0 && firstBuild.Load() == 0 {
						firstBuild.Store(int64(time.Since(start)))
					}
					time.Sleep(5 * time.Millisecond)
					continue
				}
				if _, st, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(i % ds.NTest), TopK: 10}); err == nil {
					queries.Add(1)
					if st.NeighborhoodsTotal > 0 && firstBuild.Load() == 0 {
						firstBuild.Store(int64(time.Since(start)))
					}
				}
			}
		}()
		next := make(chan int)
		var wwg sync.WaitGroup
		for range 4 {
			wwg.Add(1)
			go func() {
				defer wwg.Done()
				for lo := range next {
					batch := make([]Vector, 0, 500)
					for i := lo; i < min(ds.NTrain, lo+500); i++ {
						batch = append(batch, Vector{Key: fmt.Sprintf("v%05d", i), Data: ds.TrainVec(i)})
					}
					if err := ix.Put(ctx, batch); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for lo := 0; lo < ds.NTrain; lo += 500 {
			next <- lo
		}
		close(next)
		wwg.Wait()
		ingest := time.Since(start)
		for {
			v, err := ix.current(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if len(v.m.WAL) == 0 && len(v.m.Neighborhoods) > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		settle := time.Since(start)
		close(stop)
		wg.Wait()
		b.ReportMetric(float64(ds.NTrain)/ingest.Seconds(), "vectors/s")
		if withQueries {
			b.ReportMetric(float64(queries.Load())/settle.Seconds(), "queries/s-during-ingest")
		}
		b.ReportMetric(time.Duration(firstBuild.Load()).Seconds(), "s-first-build")
		b.ReportMetric(settle.Seconds(), "s-settled")
	}
}

// BenchmarkQueryFashionMNIST measures single-threaded queries/s with default
// settings on the 60k×784 Fashion-MNIST train set, fully folded.
func BenchmarkQueryFashionMNIST(b *testing.B) {
	ctx := context.Background()
	ds, err := datasets.Load(ctx, "fashion-mnist-784-euclidean", datasets.LoadOptions{NoInstall: true, MaxTest: 1000})
	if err != nil {
		b.Skipf("Fashion-MNIST not installed: %v", err)
	}
	ix := benchIndex(b, mem.New(), ds.Dim, Options{Indexer: IndexerOptions{Disabled: true, Seed: 1}})
	for lo := 0; lo < ds.NTrain; lo += 500 {
		batch := make([]Vector, 0, 500)
		for i := lo; i < min(ds.NTrain, lo+500); i++ {
			batch = append(batch, Vector{Key: fmt.Sprintf("v%05d", i), Data: ds.TrainVec(i)})
		}
		if err := ix.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	scored := 0
	for i := range b.N {
		_, st, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(i % ds.NTest), TopK: 10})
		if err != nil {
			b.Fatal(err)
		}
		scored += st.VectorsScored
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(float64(scored)/float64(b.N), "scored/query")
}
