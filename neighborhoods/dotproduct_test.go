package neighborhoods

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNegDotMatchesReference holds the SIMD DotProduct score (vek's dot
// kernel, and the four-row batch kernel the index probes with) to the
// plain-Go float64 reference.
func TestNegDotMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{1, 3, 8, 16, 31, 32, 33, 64, 100, 257, 768, 1536} {
		a := make([]float32, dim)
		rows := make([]float32, 5*dim)
		for i := range a {
			a[i] = float32(rng.NormFloat64() * 3)
		}
		for i := range rows {
			rows[i] = float32(rng.NormFloat64())
		}
		batch := make([]float32, 5)
		DotBatch(a, rows, batch)
		for r := range 5 {
			b := rows[r*dim : (r+1)*dim]
			want := negDotRef(a, b)
			tol := 1e-4 * float64(dim) * 3
			if got := NegDot(a, b); math.Abs(float64(got-want)) > tol {
				t.Errorf("dim %d: NegDot = %v, reference %v", dim, got, want)
			}
			if got := DotProduct.Score(a, b); math.Abs(float64(got-want)) > tol {
				t.Errorf("dim %d: Score = %v, reference %v", dim, got, want)
			}
			if got := -batch[r]; math.Abs(float64(got-want)) > tol {
				t.Errorf("dim %d row %d: −DotBatch = %v, reference %v", dim, r, got, want)
			}
		}
	}
}

func TestDotProductMetric(t *testing.T) {
	m, err := ParseMetric("DotProduct")
	if err != nil || m != DotProduct || m.String() != "dotproduct" || !m.Valid() {
		t.Fatalf("ParseMetric: %v %v", m, err)
	}
	if b, err := m.MarshalText(); err != nil || string(b) != "dotproduct" {
		t.Fatalf("MarshalText: %s %v", b, err)
	}
	// Reported distance is the score, −(a·b), negative for similar vectors.
	if d := DotProduct.Distance([]float32{1, 2}, []float32{3, 4}); d != -11 {
		t.Fatalf("distance %v, want -11", d)
	}
	if DotProduct.ScoreToDistance(-3) != -3 || DotProduct.DistanceToScore(-3) != -3 {
		t.Fatal("score and distance differ")
	}
	// Clustering uses L2 on raw vectors.
	if s := DotProduct.ClusterScore([]float32{1, 0}, []float32{3, 0}); s != 4 {
		t.Fatalf("ClusterScore %v, want 4", s)
	}
	// Centroids are ranked by inner product, largest first, and never pruned by ratio.
	cents := []float32{1, 0, 10, 0, -5, 0}
	got := NearestCentroids(cents, 2, DotProduct, []float32{1, 0}, 3, 1.5, nil)
	if len(got) != 3 || got[0] != 1 || got[1] != 0 || got[2] != 2 {
		t.Fatalf("NearestCentroids = %v, want [1 0 2]", got)
	}
	top := NewTopK(2)
	ScanVectors(cents, 2, DotProduct, []float32{1, 0}, top, 0, nil)
	if h := top.Sorted(nil); h[0].Row != 1 || h[0].Score != -10 {
		t.Fatalf("ScanVectors = %v", h)
	}
}
