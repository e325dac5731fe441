package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// clusteredVec draws a vector near one of the centers.
func clusteredVec(r *rand.Rand, centers [][]float32) []float32 {
	c := centers[r.IntN(len(centers))]
	v := make([]float32, len(c))
	for i := range v {
		v[i] = c[i] + 1.0*float32(r.NormFloat64())
	}
	return v
}

// TestQueryTargetsAndEstimates: higher recall targets probe at least as
// many neighborhoods (strictly more from 0.8 to 0.99), the estimate rises
// with them and stays in (0, 1], an exact query (or target 1) equals brute
// force and estimates 1, round trips are counted, and the WAL tail raises
// the estimate.
func TestQueryTargetsAndEstimates(t *testing.T) {
	ctx := context.Background()
	const dim, n = 16, 6000
	ix := newTestIndex(t, IndexConfig{Dimension: dim, Metric: neighborhoods.Euclidean}, Options{Indexer: IndexerOptions{Disabled: true, NeighborhoodSize: 50, Seed: 7}})
	r := rand.New(rand.NewPCG(11, 13))
	centers := make([][]float32, 40)
	for i := range centers {
		centers[i] = randVec(r, dim)
	}
	all := make([]Vector, 0, n)
	for lo := 0; lo < n; lo += 500 {
		batch := make([]Vector, 500)
		for j := range batch {
			batch[j] = Vector{Key: fmt.Sprintf("k%05d", lo+j), Data: clusteredVec(r, centers)}
		}
		all = append(all, batch...)
		if err := ix.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	q := clusteredVec(r, centers)
	targets := []float64{0.8, 0.9, 0.95, 0.99}
	var probes []int
	var ests []float64
	for _, tr := range targets {
		_, st, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, TargetRecall: tr})
		if err != nil {
			t.Fatal(err)
		}
		if st.NeighborhoodsTotal < 20 {
			t.Fatalf("only %d neighborhoods", st.NeighborhoodsTotal)
		}
		if st.NProbe < 1 || st.NProbe > st.NeighborhoodsTotal || st.NeighborhoodsProbed < st.NProbe {
			t.Errorf("target %v: nprobe %d, probed %d of %d", tr, st.NProbe, st.NeighborhoodsProbed, st.NeighborhoodsTotal)
		}
		if st.EstimatedRecall <= 0 || st.EstimatedRecall > 1 {
			t.Errorf("target %v: estimated recall %v", tr, st.EstimatedRecall)
		}
		if st.RoundTrips < 1 {
			t.Errorf("target %v: %d round trips, want ≥ 1 (the manifest check)", tr, st.RoundTrips)
		}
		probes = append(probes, st.NProbe)
		ests = append(ests, st.EstimatedRecall)
	}
	t.Logf("targets %v: nprobe %v, estimates %v", targets, probes, ests)
	if !slices.IsSorted(probes) || probes[0] >= probes[len(probes)-1] {
		t.Errorf("nprobe by target %v: %v, want non-decreasing and rising", targets, probes)
	}
	if !slices.IsSorted(ests) {
		t.Errorf("estimated recall by target %v: %v, want non-decreasing", targets, ests)
	}

	// Brute force.
	type kd struct {
		key string
		d   float32
	}
	bf := make([]kd, len(all))
	for i, v := range all {
		bf[i] = kd{v.Key, neighborhoods.SquaredL2(q, v.Data)}
	}
	slices.SortFunc(bf, func(a, b kd) int {
		if a.d != b.d {
			if a.d < b.d {
				return -1
			}
			return 1
		}
		if a.key < b.key {
			return -1
		}
		return 1
	})
	for _, req := range []QueryRequest{{Vector: q, TopK: 10, Exact: true}, {Vector: q, TopK: 10, TargetRecall: 1}} {
		res, st, err := ix.Query(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Exact || st.EstimatedRecall != 1 || st.NeighborhoodsProbed != st.NeighborhoodsTotal || st.NProbe != st.NeighborhoodsTotal {
			t.Errorf("exact=%v target=%v: stats %+v", req.Exact, req.TargetRecall, st)
		}
		for i, h := range res {
			if h.Key != bf[i].key {
				t.Fatalf("exact=%v target=%v: result %d is %s, brute force %s", req.Exact, req.TargetRecall, i, h.Key, bf[i].key)
			}
		}
		if len(res) != 10 {
			t.Fatalf("%d results", len(res))
		}
	}

	// A WAL tail is scanned exhaustively: the estimate weighs it at 1.
	_, before, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, TargetRecall: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	extra := make([]Vector, 2000)
	for j := range extra {
		extra[j] = Vector{Key: fmt.Sprintf("w%05d", j), Data: clusteredVec(r, centers)}
	}
	for lo := 0; lo < len(extra); lo += 500 {
		if err := ix.Put(ctx, extra[lo:lo+500]); err != nil {
			t.Fatal(err)
		}
	}
	_, after, err := ix.Query(ctx, QueryRequest{Vector: q, TopK: 10, TargetRecall: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	if after.WALVectors != len(extra) || after.EstimatedRecall <= before.EstimatedRecall {
		t.Errorf("with %d WAL vectors: estimate %v, before %v", after.WALVectors, after.EstimatedRecall, before.EstimatedRecall)
	}
	if before.EstimatedRecall < 1 {
		want := (before.EstimatedRecall*float64(n) + float64(len(extra))) / float64(n+len(extra))
		if d := after.EstimatedRecall - want; d > 1e-4 || d < -1e-4 {
			t.Errorf("WAL-weighted estimate %v, want %v", after.EstimatedRecall, want)
		}
	}
}

// TestEstimateRecallCurve checks estimateRecall against a known curve.
func TestEstimateRecallCurve(t *testing.T) {
	m := &manifest{Calibration: []float32{0.5, 0.8, 0.9, 0.97, 1}, CalibrationK: 5, Neighborhoods: make([]nbhdRef, 10)}
	for i := range m.Neighborhoods {
		m.Neighborhoods[i].Count = 100
	}
	cases := []struct {
		st   QueryStats
		want float64
	}{
		{QueryStats{NeighborhoodsTotal: 10, NeighborhoodsProbed: 4}, 0.8 - calibrationOptimism},
		{QueryStats{NeighborhoodsTotal: 10, NeighborhoodsProbed: 5}, 0.8 - calibrationOptimism},
		{QueryStats{NeighborhoodsTotal: 10, NeighborhoodsProbed: 8}, 0.97 - calibrationOptimism},
		{QueryStats{NeighborhoodsTotal: 10, NeighborhoodsProbed: 10}, 1},
		{QueryStats{NeighborhoodsTotal: 10, NeighborhoodsProbed: 2, Prefiltered: true}, 1},
		{QueryStats{NeighborhoodsTotal: 10, NeighborhoodsProbed: 1}, 0},
		{QueryStats{NeighborhoodsTotal: 10, NeighborhoodsProbed: 4, WALVectors: 1000}, ((0.8-calibrationOptimism)*1000 + 1000) / 2000},
	}
	for _, c := range cases {
		got := estimateRecall(&c.st, m)
		if d := got - c.want; d > 1e-4 || d < -1e-4 {
			t.Errorf("%+v: estimate %v, want %v", c.st, got, c.want)
		}
	}
}

// TestCurveForInvertsDiscount: the planner asks the calibration curve for
// the value whose discounted estimate is the target, and near 1 it asks
// less than 1 (0.98 → 0.99, not the curve's last outlier).
func TestCurveForInvertsDiscount(t *testing.T) {
	for _, target := range []float64{0.8, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995} {
		c := curveFor(target)
		if c >= 1 || c <= target {
			t.Errorf("curveFor(%v) = %v, want in (target, 1)", target, c)
		}
		if d := curveDiscount(c) - target; d > 1e-12 || d < -1e-12 {
			t.Errorf("curveDiscount(curveFor(%v)) = %v", target, curveDiscount(c))
		}
	}
	if c := curveFor(0.98); c < 0.99-1e-12 || c > 0.99+1e-12 {
		t.Errorf("curveFor(0.98) = %v, want 0.99", c)
	}
	if c := curveFor(0.9); c < 0.92-1e-12 || c > 0.92+1e-12 {
		t.Errorf("curveFor(0.9) = %v, want 0.92", c)
	}
}
