package index

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// Quantized scans (RaBitQ codes with exact re-rank) find what the float32 scan of the same
// probed neighborhoods finds, report exact distances, and report the codes they scanned.
func TestQuantizedScanMatchesFloat(t *testing.T) {
	ctx := context.Background()
	for _, metric := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.Cosine} {
		t.Run(metric.String(), func(t *testing.T) {
			const dim, n = 48, 6000
			r := rand.New(rand.NewPCG(9, 9))
			centers := make([][]float32, 30)
			for i := range centers {
				centers[i] = make([]float32, dim)
				for j := range centers[i] {
					centers[i][j] = float32(r.NormFloat64() * 3)
				}
			}
			vec := func() []float32 {
				c := centers[r.IntN(len(centers))]
				v := make([]float32, dim)
				for j := range v {
					v[j] = c[j] + float32(r.NormFloat64())
				}
				return v
			}
			build := func(noQuant bool) *Index {
				return newTestIndex(t, IndexConfig{Dimension: dim, Metric: metric}, Options{NoQuantize: noQuant, Indexer: IndexerOptions{Disabled: true, Seed: 1}})
			}
			quant, plain := build(false), build(true)
			data := make(map[string][]float32, n)
			for lo := 0; lo < n; lo += 500 {
				batch := make([]Vector, 0, 500)
				for i := lo; i < lo+500; i++ {
					k := fmt.Sprintf("v%05d", i)
					data[k] = vec()
					batch = append(batch, Vector{Key: k, Data: data[k]})
				}
				for _, ix := range []*Index{quant, plain} {
					if err := ix.Put(ctx, batch); err != nil {
						t.Fatal(err)
					}
				}
			}
			for _, ix := range []*Index{quant, plain} {
				if err := ix.Compact(ctx); err != nil {
					t.Fatal(err)
				}
			}
			buildAllCodes(t, quant)
			same, total, codes := 0, 0, 0
			for q := range 100 {
				qv := vec()
				req := QueryRequest{Vector: qv, TopK: 10, NProbe: 4}
				got, st, err := quant.Query(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				want, pst, err := plain.Query(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if pst.CodesScanned != 0 || st.CodesScanned == 0 || st.VectorsScored >= st.CodesScanned {
					t.Fatalf("query %d: codes %d (plain %d), exact re-ranks %d", q, st.CodesScanned, pst.CodesScanned, st.VectorsScored)
				}
				codes += st.CodesScanned
				in := map[string]bool{}
				for _, w := range want {
					in[w.Key] = true
				}
				for _, g := range got {
					if in[g.Key] {
						same++
					}
					d := metric.Distance(qv, data[g.Key])
					if math.Abs(float64(d-g.Distance)) > 1e-4*math.Max(1, float64(d)) {
						t.Fatalf("query %d key %s: distance %v, exact %v", q, g.Key, g.Distance, d)
					}
				}
				total += len(want)
			}
			frac := float64(same) / float64(total)
			t.Logf("%s: %.4f of the float32 scan's answers, %d codes scanned per query", metric, frac, codes/100)
			if frac < 0.97 {
				t.Errorf("quantized scan found %.4f of the float32 scan's answers, want ≥ 0.97", frac)
			}
			// Exact mode never uses codes.
			if _, st, err := quant.Query(ctx, QueryRequest{Vector: vec(), TopK: 10, Exact: true}); err != nil || st.CodesScanned != 0 || !st.Exact {
				t.Errorf("exact query: %+v, %v", st, err)
			}
		})
	}
}

// buildAllCodes builds the codes of every neighborhood of ix now, as the
// background builds that queries start (readyCodes) eventually do.
func buildAllCodes(t testing.TB, ix *Index) {
	t.Helper()
	ctx := context.Background()
	v, err := ix.readView(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var st ioStats
	segs, err := ix.loadNbhds(ctx, v, nil, &st)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		s.quantCodes(v.m.Config.Metric)
	}
}
