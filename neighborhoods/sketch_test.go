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

// TestRerankAllEqualsScan: with a rerank depth covering every candidate, sketch candidates +
// Rerank return exactly what the plain scan does; with a small depth, most of it.
func TestRerankAllEqualsScan(t *testing.T) {
	const dim, n, k = 256, 8000, 10
	vecs := gaussianMixture(41, n, dim, 200)
	r := rand.New(rand.NewPCG(42, 43))
	for _, m := range []Metric{Euclidean, Cosine} {
		p, err := Partition(context.Background(), vecs, dim, m, PartitionOptions{TargetSize: 50, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		proj := NewProjection(p.Centroids, dim)
		segs := make([]*Segment, p.K())
		sks := make([]*Sketches, p.K())
		for j, g := range p.Members {
			recs := make([]Record, len(g))
			for x, i := range g {
				recs[x] = Record{Key: fmt.Sprint(i), Vector: vecs[int(i)*dim : int(i+1)*dim]}
			}
			data, _ := EncodeSegment(dim, m, recs)
			segs[j], _ = DecodeSegment(data)
			sks[j] = NewSketches(segs[j], proj, m)
		}
		segOf := func(s int32) *Segment { return segs[s] }
		agree, total := 0, 0
		for qi := 0; qi < 30; qi++ {
			base := r.IntN(n)
			q := make([]float32, dim)
			for x := range q {
				q[x] = vecs[base*dim+x] + float32(r.NormFloat64()*0.5)
			}
			qs := proj.Apply(nil, q, m)
			probes := NearestCentroids(p.Centroids, dim, m, q, 8, 0, nil)
			want := NewTopK(k)
			all := NewTopK(n) // every candidate
			few := NewTopK(RerankDepth(k))
			for _, j := range probes {
				ScanSegment(segs[j], m, q, want, int32(j), nil)
				SketchCandidates(segs[j], sks[j], m, qs, all, int32(j), nil)
				SketchCandidates(segs[j], sks[j], m, qs, few, int32(j), nil)
			}
			gotAll, gotFew := NewTopK(k), NewTopK(k)
			Rerank(all, segOf, m, q, gotAll)
			Rerank(few, segOf, m, q, gotFew)
			w, ga, gf := want.Sorted(nil), gotAll.Sorted(nil), gotFew.Sorted(nil)
			for i := range w {
				if w[i] != ga[i] {
					t.Fatalf("%v query %d rank %d: rerank-all %+v, scan %+v", m, qi, i, ga[i], w[i])
				}
			}
			in := map[[2]int32]bool{}
			for _, h := range w {
				in[[2]int32{h.Source, h.Row}] = true
			}
			for _, h := range gf {
				if in[[2]int32{h.Source, h.Row}] {
					agree++
				}
			}
			total += len(w)
		}
		t.Logf("%v: depth %d found %d/%d of the exact top-%d", m, RerankDepth(k), agree, total, k)
		if float64(agree) < 0.9*float64(total) {
			t.Errorf("%v: rerank depth %d found only %d/%d", m, RerankDepth(k), agree, total)
		}
	}
}
