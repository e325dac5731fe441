package index

import (
	"context"
	"fmt"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// TestDotProductRecallGloVe is TestRecallGloVe for the dot-product metric:
// the same seeded 100k subset of GloVe-100's train vectors, unnormalised,
// in a dotproduct index settled by the background indexer; recall@10 of
// default queries for the 300 test words against brute-force maximum inner
// product (and, logged only, at fixed probe counts).
func TestDotProductRecallGloVe(t *testing.T) {
	if testing.Short() {
		t.Skip("loads GloVe")
	}
	ctx := context.Background()
	n := 100000
	ix, ds, rows, _ := gloveSubsetIndex(t, neighborhoods.DotProduct, n)
	flat := make([]float32, 0, n*ds.Dim)
	for _, i := range rows {
		flat = append(flat, ds.TrainVec(i)...)
	}
	v, err := ix.current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := float32(1e30), float32(0)
	for i := range n {
		nv := neighborhoods.Norm(flat[i*ds.Dim : (i+1)*ds.Dim])
		lo, hi = min(lo, nv), max(hi, nv)
	}
	truth := make([]map[string]bool, ds.NTest)
	for qi := range ds.NTest {
		top := neighborhoods.NewTopK(10)
		neighborhoods.ScanVectors(flat, ds.Dim, neighborhoods.DotProduct, ds.TestVec(qi), top, 0, nil)
		truth[qi] = map[string]bool{}
		for _, h := range top.Sorted(nil) {
			truth[qi][fmt.Sprintf("g%07d", rows[h.Row])] = true
		}
	}
	measure := func(nprobe int) (recall, scored, probed float64) {
		found, sc, pr := 0, 0, 0
		for qi := range ds.NTest {
			res, st, err := ix.Query(ctx, QueryRequest{Vector: ds.TestVec(qi), TopK: 10, NProbe: nprobe})
			if err != nil {
				t.Fatal(err)
			}
			sc += st.VectorsScored
			pr += st.NeighborhoodsProbed
			for _, r := range res {
				if truth[qi][r.Key] {
					found++
				}
			}
		}
		q := float64(ds.NTest)
		return float64(found) / (10 * q), float64(sc) / q, float64(pr) / q
	}
	for _, np := range []int{10, 30, 100} {
		r, sc, _ := measure(np)
		t.Logf("nprobe %d: recall@10 = %.4f, %.0f vectors scored per query", np, r, sc)
	}
	recall, scored, probed := measure(0)
	t.Logf("norms %.2f-%.2f; default: recall@10 = %.4f over %d queries, %.0f of %d neighborhoods probed, %.0f vectors scored per query",
		lo, hi, recall, ds.NTest, probed, len(v.m.Neighborhoods), scored)
	if recall < 0.9 {
		t.Errorf("recall@10 = %.4f, want ≥ 0.9", recall)
	}
}
