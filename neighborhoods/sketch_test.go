package neighborhoods

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestProjectionOrthonormal(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const dim, k = 300, 200
	cent := randVec(r, k*dim)
	p := NewProjection(cent, dim)
	if p == nil {
		t.Fatal("no projection")
	}
	for a := 0; a < p.R(); a++ {
		for b := 0; b < p.R(); b++ {
			d := dotRef(p.rows[a*dim:(a+1)*dim], p.rows[b*dim:(b+1)*dim])
			want := float32(0)
			if a == b {
				want = 1
			}
			if math.Abs(float64(d-want)) > 1e-5 {
				t.Fatalf("row %d · row %d = %v, want %v", a, b, d, want)
			}
		}
	}
	if NewProjection(cent[:100*dim], dim) != nil {
		t.Error("projection from 100 < 128 centroids")
	}
	if NewProjection(randVec(r, 200*100), 100) != nil {
		t.Error("projection for dimension 100")
	}
}

// TestSketchedScanEqualsScan: with sketches (lower-bound skipping) the results are those of
// the plain scan, on clustered data where the bound prunes, for both metrics.
func TestSketchedScanEqualsScan(t *testing.T) {
	const dim, n, k = 256, 12000, 10
	vecs := gaussianMixture(31, n, dim, 300)
	r := rand.New(rand.NewPCG(32, 33))
	for _, m := range []Metric{Euclidean, Cosine} {
		p, err := Partition(context.Background(), vecs, dim, m, PartitionOptions{TargetSize: 64, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		proj := NewProjection(p.Centroids, dim)
		if proj == nil {
			t.Fatalf("%v: no projection for %d centroids", m, p.K())
		}
		segs := make([]*Segment, p.K())
		sks := make([]*Sketches, p.K())
		for j, g := range p.Members {
			recs := make([]Record, len(g))
			for x, i := range g {
				recs[x] = Record{Key: fmt.Sprint(i), Vector: vecs[int(i)*dim : int(i+1)*dim]}
			}
			data, err := EncodeSegment(dim, m, recs)
			if err != nil {
				t.Fatal(err)
			}
			if segs[j], err = DecodeSegment(data); err != nil {
				t.Fatal(err)
			}
			sks[j] = NewSketches(segs[j], proj, m)
		}
		full, total := 0, 0
		for qi := 0; qi < 40; qi++ {
			// Queries near the data: a row plus noise.
			base := r.IntN(n)
			q := make([]float32, dim)
			for x := range q {
				q[x] = vecs[base*dim+x] + float32(r.NormFloat64()*0.5)
			}
			qs := proj.Apply(nil, q, m)
			probes := NearestCentroids(p.Centroids, dim, m, q, 10, 0, nil)
			a, b := NewTopK(k), NewTopK(k)
			for _, j := range probes {
				total += ScanSegment(segs[j], m, q, a, int32(j), nil)
				full += ScanSegmentSketched(segs[j], sks[j], m, q, qs, b, int32(j), nil)
			}
			ha, hb := a.Sorted(nil), b.Sorted(nil)
			for i := range ha {
				if ha[i] != hb[i] {
					t.Fatalf("%v query %d rank %d: sketched %+v, plain %+v", m, qi, i, hb[i], ha[i])
				}
			}
		}
		t.Logf("%v: sketched scan computed %d of %d full distances (%.1f%%)", m, full, total, 100*float64(full)/float64(total))
		if full >= total {
			t.Errorf("%v: the bound pruned nothing", m)
		}
	}
}
