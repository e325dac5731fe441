package neighborhoods

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// gaussianMixture returns n rows of dim values drawn around c random centres (synthetic).
func gaussianMixture(seed uint64, n, dim, c int) []float32 {
	r := rand.New(rand.NewPCG(seed, 99))
	centres := make([]float32, c*dim)
	for i := range centres {
		centres[i] = float32(r.NormFloat64() * 4)
	}
	out := make([]float32, n*dim)
	for i := 0; i < n; i++ {
		k := r.IntN(c)
		for x := 0; x < dim; x++ {
			out[i*dim+x] = centres[k*dim+x] + float32(r.NormFloat64())
		}
	}
	return out
}

func checkPartitioning(t *testing.T, p *Partitioning, n, dim int, o PartitionOptions) {
	t.Helper()
	if len(p.Centroids) != p.K()*dim {
		t.Fatalf("%d centroid values for K=%d", len(p.Centroids), p.K())
	}
	if len(p.Home) != n {
		t.Fatalf("%d homes for %d rows", len(p.Home), n)
	}
	total := 0
	for j, g := range p.Members {
		if len(g) == 0 {
			t.Errorf("neighborhood %d is empty", j)
		}
		if o.MaxSize > 0 && len(g) > o.MaxSize {
			t.Errorf("neighborhood %d has %d members > MaxSize %d", j, len(g), o.MaxSize)
		}
		if !slices.IsSorted(g) {
			t.Errorf("neighborhood %d members not sorted", j)
		}
		total += len(g)
	}
	if total != n+p.Replicas {
		t.Errorf("%d memberships, want %d rows + %d replicas", total, n, p.Replicas)
	}
	for i, h := range p.Home {
		if _, ok := slices.BinarySearch(p.Members[h], int32(i)); !ok {
			t.Fatalf("row %d missing from its home %d", i, h)
		}
	}
}

func TestPartitionBalancedAndDeterministic(t *testing.T) {
	const n, dim = 20000, 24
	vecs := gaussianMixture(1, n, dim, 7) // few, uneven blobs: k-means alone would be unbalanced
	for _, m := range []Metric{Euclidean, Cosine} {
		for _, tc := range []PartitionOptions{
			{TargetSize: 500, MaxSize: 700, Seed: 1},
			{TargetSize: 100, MaxSize: 200, Seed: 2}, // k=200: two-level
			{TargetSize: 400, Seed: 3, Replicate: ReplicationOptions{MaxReplicas: 2, Epsilon: 0.15}},
		} {
			vecs, dim := vecs, dim
			if tc.Replicate.MaxReplicas > 0 {
				// Uniform 3-d data: cells with real borders, where replication applies.
				// (In the noisy 24-d blobs the diversity rule rightly rejects every replica.)
				dim = 3
				r := rand.New(rand.NewPCG(4, 4))
				vecs = make([]float32, n*dim)
				for i := range vecs {
					vecs[i] = float32(r.Float64())
				}
			}
			p, err := Partition(context.Background(), vecs, dim, m, tc)
			if err != nil {
				t.Fatal(err)
			}
			o := tc.withDefaults(n)
			checkPartitioning(t, p, n, dim, o)
			if want := n / tc.TargetSize; p.K() < want/2 || p.K() > want*3 {
				t.Errorf("%v %+v: K=%d, expected about %d", m, tc, p.K(), want)
			}
			if tc.Replicate.MaxReplicas > 0 && p.Replicas == 0 {
				t.Errorf("%v: replication on but no replicas", m)
			}
			if tc.Replicate.MaxReplicas == 0 && p.Replicas != 0 {
				t.Errorf("%v: %d replicas with replication off", m, p.Replicas)
			}
			tc.Workers = 1
			q, err := Partition(context.Background(), vecs, dim, m, tc)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, q) {
				t.Errorf("%v %+v: result differs between runs / worker counts", m, tc)
			}
		}
	}
}

func TestPartitionHomeIsNearestMostly(t *testing.T) {
	// After balancing, most rows should still live in their nearest neighborhood.
	const n, dim = 5000, 16
	vecs := gaussianMixture(2, n, dim, 40)
	p, err := Partition(context.Background(), vecs, dim, Euclidean, PartitionOptions{TargetSize: 100, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i := 0; i < n; i++ {
		j, _ := nearest(p.Centroids, dim, vecs[i*dim:(i+1)*dim])
		if int32(j) == p.Home[i] {
			same++
		}
	}
	if float64(same) < 0.9*n {
		t.Errorf("only %d/%d rows live in their nearest neighborhood", same, n)
	}
}

func TestPartitionEdgeCases(t *testing.T) {
	ctx := context.Background()
	if _, err := Partition(ctx, make([]float32, 7), 2, Euclidean, PartitionOptions{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("ragged input: %v", err)
	}
	p, err := Partition(ctx, nil, 4, Euclidean, PartitionOptions{})
	if err != nil || p.K() != 0 {
		t.Errorf("empty: %v K=%v", err, p)
	}
	// All-identical vectors: splitting must still terminate and respect MaxSize.
	same := make([]float32, 1000*3)
	for i := range same {
		same[i] = 1
	}
	p, err = Partition(ctx, same, 3, Cosine, PartitionOptions{TargetSize: 100, MaxSize: 150, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkPartitioning(t, p, 1000, 3, PartitionOptions{MaxSize: 150})
	// Fewer rows than a neighborhood: one neighborhood.
	p, err = Partition(ctx, gaussianMixture(3, 10, 5, 2), 5, Euclidean, PartitionOptions{})
	if err != nil || p.K() != 1 || len(p.Members[0]) != 10 {
		t.Errorf("tiny input: %v %+v", err, p)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Partition(ctx2, gaussianMixture(3, 5000, 5, 2), 5, Euclidean, PartitionOptions{TargetSize: 50}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestReplicaTargetsRules(t *testing.T) {
	// Centroids on a line at 0, 1, 2, 10; v at 0.45 (home 0).
	cent := []float32{0, 1, 2, 10}
	r := ReplicationOptions{MaxReplicas: 3, Epsilon: 0.5}
	got := ReplicaTargets(cent, 1, Euclidean, []float32{0.45}, 0, r)
	// d(home)=0.45; c1 at 0.55 ≤ 1.5×0.45 → chosen; c2 at 1.55 too far; c3 far.
	if !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("got %v, want [1]", got)
	}
	// Diversity: v at -0.5 with home 0; c1 at 1.5 within ratio 4 but c1 is nearer c0 (1) than v (1.5).
	got = ReplicaTargets(cent, 1, Euclidean, []float32{-0.5}, 0, ReplicationOptions{MaxReplicas: 3, Epsilon: 3})
	if len(got) != 0 {
		t.Errorf("diversity rule: got %v, want none", got)
	}
	if got := ReplicaTargets(cent, 1, Euclidean, []float32{0.45}, 0, ReplicationOptions{}); got != nil {
		t.Errorf("disabled: got %v", got)
	}
}

func BenchmarkPartition(b *testing.B) {
	const n, dim = 50000, 64
	vecs := gaussianMixture(4, n, dim, 100)
	for b.Loop() {
		if _, err := Partition(context.Background(), vecs, dim, Euclidean, PartitionOptions{Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTargetSizeFor(t *testing.T) {
	for _, tc := range []struct{ n, want int }{{0, 256}, {60000, 256}, {262144, 256}, {1000000, 500}, {1 << 40, 4096}} {
		if got := TargetSizeFor(tc.n); got != tc.want {
			t.Errorf("TargetSizeFor(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

// TestNearestBatch: the blocked assignment k-means and Partition use picks
// nearest's centroid (or one tied with it to float32 rounding), at
// dimensions with and without a kernel tail.
func TestNearestBatch(t *testing.T) {
	for _, dim := range []int{3, 17, 128} {
		cent := gaussianMixture(7, 301, dim, 20)
		vecs := gaussianMixture(8, 1000, dim, 20)
		scores := make([]float32, 301)
		for i := 0; i < 1000; i++ {
			v := vecs[i*dim : (i+1)*dim]
			wj, wd := nearest(cent, dim, v)
			gj, gd := NearestL2(cent, dim, v, scores)
			if math.Abs(float64(gd-wd)) > 1e-4*(1+float64(wd)) {
				t.Fatalf("dim %d row %d: batch %d (%g), reference %d (%g)", dim, i, gj, gd, wj, wd)
			}
		}
	}
}

// TestTrainChildrenContiguous: two-level training appends each coarse
// cluster's fine centroids as consecutive rows, which assignTree relies on
// to score them with one blocked call.
func TestTrainChildrenContiguous(t *testing.T) {
	const dim = 8
	vecs := gaussianMixture(3, 30000, dim, 50)
	o := PartitionOptions{TargetSize: 100}.withDefaults(30000)
	cent, coarse, children, err := train(context.Background(), vecs, dim, 300, false, rand.New(rand.NewPCG(1, 2)), o)
	if err != nil {
		t.Fatal(err)
	}
	if coarse == nil {
		t.Fatal("300 centroids trained flat, want two levels")
	}
	seen := 0
	for c, ch := range children {
		for i, j := range ch {
			if j != ch[0]+i {
				t.Fatalf("coarse %d: children %v not consecutive", c, ch)
			}
		}
		seen += len(ch)
	}
	if seen != len(cent)/dim {
		t.Errorf("children cover %d of %d centroids", seen, len(cent)/dim)
	}
}

// TestNearestAlive: the candidates a dissolved cluster's members choose
// among are the dissolveCandidates live centroids nearest to its centroid,
// in order, as a full sort finds them.
func TestNearestAlive(t *testing.T) {
	const dim, k = 16, 500
	cent := gaussianMixture(11, k, dim, 10)
	r := rand.New(rand.NewPCG(1, 1))
	alive := make([]bool, k)
	for j := range alive {
		alive[j] = r.IntN(4) > 0
	}
	scores := make([]float32, k)
	for _, c := range []int{0, 7, 123} {
		got := nearestAlive(cent, dim, cent[c*dim:(c+1)*dim], alive, scores, nil)
		var all []int
		for j, a := range alive {
			if a {
				all = append(all, j)
			}
		}
		slices.SortStableFunc(all, func(a, b int) int {
			switch {
			case scores[a] < scores[b]:
				return -1
			case scores[a] > scores[b]:
				return 1
			}
			return 0
		})
		if !slices.Equal(got, all[:dissolveCandidates]) {
			t.Errorf("centroid %d: %v, want %v", c, got, all[:dissolveCandidates])
		}
	}
}
