package index

import (
	"context"
	"fmt"
	"testing"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore/mem"
)

// BenchmarkQueryGloVe measures single-threaded queries on all 331k GloVe-100 train
// vectors (cosine), fully folded, at nprobe 1 (mostly the fixed cost per query: centroid
// selection, set-up, result building), 16, and the calibrated default.
func BenchmarkQueryGloVe(b *testing.B) {
	ctx := context.Background()
	ds, err := datasets.Load(ctx, "glove-100-angular", datasets.LoadOptions{NoInstall: true, MaxTest: 1000})
	if err != nil {
		b.Skipf("GloVe not installed: %v", err)
	}
	ix := benchIndexMetric(b, mem.New(), ds.Dim, neighborhoods.Cosine, Options{Indexer: IndexerOptions{Disabled: true, Seed: 1}})
	for lo := 0; lo < ds.NTrain; lo += 500 {
		batch := make([]Vector, 0, 500)
		for i := lo; i < min(ds.NTrain, lo+500); i++ {
			batch = append(batch, Vector{Key: fmt.Sprintf("v%06d", i), Data: ds.TrainVec(i)})
		}
		if err := ix.Put(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	// Warm up: decode every neighborhood and build its quantization codes,
	// as a serving index has.
	buildAllCodes(b, ix)
	_, st, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(0), TopK: 10, NProbe: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []int{0, 1} { // nprobe < total: an approximate scan
		if _, _, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(v), TopK: 10, NProbe: st.NeighborhoodsTotal - 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for _, nprobe := range []int{1, 16, 48, 0} {
		b.Run(fmt.Sprintf("nprobe=%d", nprobe), func(b *testing.B) {
			b.ReportAllocs()
			scored, codes, refined := 0, 0, 0
			for i := range b.N {
				_, st, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(i % ds.NTest), TopK: 10, NProbe: nprobe})
				if err != nil {
					b.Fatal(err)
				}
				scored += st.VectorsScored
				codes += st.CodesScanned
				refined += st.CodesRefined
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			b.ReportMetric(float64(scored)/float64(b.N), "scored/query")
			b.ReportMetric(float64(codes)/float64(b.N), "codes/query")
			b.ReportMetric(float64(refined)/float64(b.N), "refined/query")
		})
	}
}
