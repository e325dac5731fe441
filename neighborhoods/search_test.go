package neighborhoods

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestTopKMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{1, 2, 10, 100} {
		top := NewTopK(k)
		var all []float32
		for i := 0; i < 1000; i++ {
			s := float32(r.Float64())
			all = append(all, s)
			top.Push(Hit{Score: s, Row: int32(i)})
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		got := top.Sorted(nil)
		if len(got) != k {
			t.Fatalf("k=%d: %d hits", k, len(got))
		}
		for i := range got {
			if got[i].Score != all[i] {
				t.Fatalf("k=%d: hit %d score %v, want %v", k, i, got[i].Score, all[i])
			}
		}
	}
}

func TestTopKReplicas(t *testing.T) {
	top := NewTopK(3)
	h := KeyHash([]byte("a"))
	top.Push(Hit{Score: 1, Source: 0, Row: 5, Hash: h})
	if top.Push(Hit{Score: 1, Source: 1, Row: 9, Hash: h}) {
		t.Error("replica (same score, same hash) was kept")
	}
	if !top.Push(Hit{Score: 1, Source: 1, Row: 9, Hash: KeyHash([]byte("b"))}) {
		t.Error("distinct key with equal score was dropped")
	}
	if top.Len() != 2 {
		t.Errorf("len %d, want 2", top.Len())
	}
	if top.Worst() != float32(math.Inf(1)) {
		t.Errorf("Worst of a non-full TopK = %v, want +Inf", top.Worst())
	}
}

func TestTopKPushDoesNotAllocate(t *testing.T) {
	top := NewTopK(10)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		top.Push(Hit{Score: float32((i * 7919) % 1000), Row: int32(i), Hash: uint64(i)})
	})
	if allocs != 0 {
		t.Errorf("Push allocates %v times", allocs)
	}
}

func TestNearestCentroids(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const dim, n = 16, 50
	cent := randVec(r, n*dim)
	for _, m := range []Metric{Euclidean, Cosine} {
		q := randVec(r, dim)
		type cd struct {
			i int
			d float32
		}
		var want []cd
		for i := 0; i < n; i++ {
			want = append(want, cd{i, m.Distance(q, cent[i*dim:(i+1)*dim])})
		}
		sort.Slice(want, func(a, b int) bool { return want[a].d < want[b].d })
		got := NearestCentroids(cent, dim, m, q, 7, 0, nil)
		if len(got) != 7 {
			t.Fatalf("%v: got %d, want 7", m, len(got))
		}
		for i := range got {
			if got[i] != want[i].i {
				t.Errorf("%v: probe %d = %d, want %d", m, i, got[i], want[i].i)
			}
		}
		all := NearestCentroids(cent, dim, m, q, 1000, 0, nil)
		if len(all) != n {
			t.Errorf("%v: nprobe > n gave %d, want %d", m, len(all), n)
		}
		ratio := float32(1.1)
		pruned := NearestCentroids(cent, dim, m, q, n, ratio, nil)
		for i, c := range pruned {
			if want[i].i != c || want[i].d > ratio*want[0].d*1.0001 {
				t.Errorf("%v: pruned probe %d = %d (d=%v, best %v)", m, i, c, want[i].d, want[0].d)
			}
		}
		if len(pruned) < n && want[len(pruned)].d <= ratio*want[0].d*0.9999 {
			t.Errorf("%v: pruning dropped centroid at distance %v ≤ %v×%v", m, want[len(pruned)].d, ratio, want[0].d)
		}
	}
}

// bruteForce returns the indices of the k nearest rows by the reference kernels.
func bruteForce(vecs []float32, dim int, m Metric, q []float32, k int) ([]int, []float32) {
	n := len(vecs) / dim
	idx := make([]int, n)
	d := make([]float32, n)
	for i := range idx {
		idx[i] = i
		if m == Cosine {
			d[i] = cosineDistanceRef(q, vecs[i*dim:(i+1)*dim])
		} else {
			d[i] = float32(math.Sqrt(float64(squaredL2Ref(q, vecs[i*dim:(i+1)*dim]))))
		}
	}
	sort.Slice(idx, func(a, b int) bool { return d[idx[a]] < d[idx[b]] })
	out := make([]float32, k)
	for i := range out {
		out[i] = d[idx[i]]
	}
	return idx[:k], out
}

// TestExactScanEqualsBruteForce splits random data into segments (through the real format),
// scans all of them and checks the result equals brute force, for both metrics.
func TestExactScanEqualsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const dim, n, k = 37, 3000, 20
	vecs := randVec(r, n*dim)
	for _, m := range []Metric{Euclidean, Cosine} {
		var segs []*Segment
		var rows [][]int
		for s := 0; s < 7; s++ {
			var recs []Record
			var ids []int
			for i := s; i < n; i += 7 {
				recs = append(recs, Record{Key: fmt.Sprint(i), Vector: vecs[i*dim : (i+1)*dim], Seq: uint64(i)})
				ids = append(ids, i)
			}
			data, err := EncodeSegment(dim, m, recs)
			if err != nil {
				t.Fatal(err)
			}
			seg, err := DecodeSegment(data)
			if err != nil {
				t.Fatal(err)
			}
			segs = append(segs, seg)
			rows = append(rows, ids)
		}
		for qi := 0; qi < 20; qi++ {
			q := randVec(r, dim)
			top := NewTopK(k)
			scored := 0
			for s, seg := range segs {
				scored += ScanSegment(seg, m, q, top, int32(s), nil)
			}
			if scored != n {
				t.Fatalf("scored %d, want %d", scored, n)
			}
			wantIdx, wantD := bruteForce(vecs, dim, m, q, k)
			for i, h := range top.Sorted(nil) {
				got := rows[h.Source][h.Row]
				d := m.ScoreToDistance(h.Score)
				if got != wantIdx[i] || math.Abs(float64(d-wantD[i])) > 1e-4 {
					t.Fatalf("%v query %d rank %d: got row %d (d=%v), want %d (d=%v)", m, qi, i, got, d, wantIdx[i], wantD[i])
				}
			}
		}
	}
}

func TestScanSegmentSkipsTombstonesAndFilter(t *testing.T) {
	recs := goldenRecords() // row 3 is a tombstone with a zero vector
	data, err := EncodeSegment(4, Euclidean, recs)
	if err != nil {
		t.Fatal(err)
	}
	seg, _ := DecodeSegment(data)
	top := NewTopK(10)
	n := ScanSegment(seg, Euclidean, []float32{0, 0, 0, 0}, top, 0, func(i int) bool { return i != 0 })
	if n != 3 {
		t.Errorf("scored %d, want 3 (5 rows − tombstone − filtered)", n)
	}
	for _, h := range top.Sorted(nil) {
		if h.Row == 3 || h.Row == 0 {
			t.Errorf("row %d returned", h.Row)
		}
	}
}

func BenchmarkScanSegment(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, dim := range []int{100, 784} {
		for _, m := range []Metric{Euclidean, Cosine} {
			const n = 1000
			recs := make([]Record, n)
			for i := range recs {
				recs[i] = Record{Key: fmt.Sprint(i), Vector: randVec(r, dim)}
			}
			data, _ := EncodeSegment(dim, m, recs)
			seg, _ := DecodeSegment(data)
			q := randVec(r, dim)
			top := NewTopK(10)
			b.Run(fmt.Sprintf("%v/dim=%d/rows=%d", m, dim, n), func(b *testing.B) {
				for b.Loop() {
					top.Reset(10)
					ScanSegment(seg, m, q, top, 0, nil)
				}
			})
		}
	}
}

// TestExactModeThroughPartition: Partition (with replication, so replicas must be deduplicated)
// + NearestCentroids probing everything + ScanSegment equals brute force, both metrics.
func TestExactModeThroughPartition(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const dim, n, k = 20, 4000, 15
	vecs := randVec(r, n*dim)
	for _, m := range []Metric{Euclidean, Cosine} {
		p, err := Partition(context.Background(), vecs, dim, m, PartitionOptions{TargetSize: 200, Seed: 3,
			Replicate: ReplicationOptions{MaxReplicas: 2, Epsilon: 0.3}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Replicas == 0 {
			t.Fatalf("%v: no replicas; the test needs some", m)
		}
		segs := make([]*Segment, p.K())
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
		}
		for qi := 0; qi < 30; qi++ {
			q := randVec(r, dim)
			probes := NearestCentroids(p.Centroids, dim, m, q, p.K(), 0, nil)
			top := NewTopK(k)
			for _, j := range probes {
				ScanSegment(segs[j], m, q, top, int32(j), nil)
			}
			wantIdx, _ := bruteForce(vecs, dim, m, q, k)
			got := top.Sorted(nil)
			if len(got) != k {
				t.Fatalf("%d hits, want %d", len(got), k)
			}
			for i, h := range got {
				if g := p.Members[h.Source][h.Row]; int(g) != wantIdx[i] {
					t.Fatalf("%v query %d rank %d: got %d, want %d", m, qi, i, g, wantIdx[i])
				}
			}
		}
	}
}

func TestScanSegmentDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	recs := make([]Record, 300)
	for i := range recs {
		recs[i] = Record{Key: fmt.Sprint(i), Vector: randVec(r, 64)}
	}
	for _, m := range []Metric{Euclidean, Cosine} {
		data, _ := EncodeSegment(64, m, recs)
		seg, _ := DecodeSegment(data)
		q := randVec(r, 64)
		top := NewTopK(10)
		allocs := testing.AllocsPerRun(50, func() {
			top.Reset(10)
			ScanSegment(seg, m, q, top, 0, nil)
		})
		if allocs != 0 {
			t.Errorf("%v: ScanSegment allocates %v times per call", m, allocs)
		}
	}
}
