package datasets

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// randomDataset makes a data set of Gaussian values; with levels > 0 the values are
// integers in [0, levels), which creates many exactly tied distances.
func randomDataset(seed uint64, ntrain, ntest, dim int, metric string, levels int) *Dataset {
	r := rand.New(rand.NewPCG(seed, 1))
	gen := func(n int) []float32 {
		v := make([]float32, n*dim)
		for i := range v {
			if levels > 0 {
				v[i] = float32(r.IntN(levels))
			} else {
				v[i] = float32(r.NormFloat64())
			}
		}
		return v
	}
	return &Dataset{Name: "test-random", Dim: dim, Metric: metric, Train: gen(ntrain), Test: gen(ntest), NTrain: ntrain, NTest: ntest}
}

// bruteForce64 is an independent reference: every distance in float64, full sort by
// (distance, id).
func bruteForce64(d *Dataset, q, k int) ([]int32, []float64) {
	type pair struct {
		d  float64
		id int
	}
	qv := d.Test[q*d.Dim : (q+1)*d.Dim]
	all := make([]pair, d.NTrain)
	for i := range all {
		x := d.Train[i*d.Dim : (i+1)*d.Dim]
		var s, qq, xx float64
		for c := range qv {
			a, b := float64(qv[c]), float64(x[c])
			if d.Metric == Cosine {
				s += a * b
				qq += a * a
				xx += b * b
			} else {
				s += (a - b) * (a - b)
			}
		}
		if d.Metric == Cosine {
			if qq == 0 || xx == 0 {
				all[i] = pair{1, i}
			} else {
				all[i] = pair{1 - s/(math.Sqrt(qq)*math.Sqrt(xx)), i}
			}
		} else {
			all[i] = pair{math.Sqrt(s), i}
		}
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].d != all[b].d {
			return all[a].d < all[b].d
		}
		return all[a].id < all[b].id
	})
	ids, ds := make([]int32, k), make([]float64, k)
	for i := range k {
		ids[i], ds[i] = int32(all[i].id), all[i].d
	}
	return ids, ds
}

// checkTruth compares t against bruteForce64 for the given queries.
func checkTruth(t *testing.T, d *Dataset, tr *Truth, queries []int) {
	t.Helper()
	for _, q := range queries {
		ids, ds := bruteForce64(d, q, tr.K)
		got, gotD := tr.Neighbors(q), tr.Distances(q)
		for i := range ids {
			if float32(ds[i]) != gotD[i] {
				t.Fatalf("query %d rank %d: distance %v, want %v", q, i, gotD[i], float32(ds[i]))
			}
			if got[i] != ids[i] {
				t.Fatalf("query %d rank %d: id %d, want %d (distance %v)", q, i, got[i], ids[i], ds[i])
			}
		}
	}
}

func allQueries(n int) []int {
	q := make([]int, n)
	for i := range q {
		q[i] = i
	}
	return q
}

func TestGroundTruthMatchesBruteForce(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name                    string
		ntrain, ntest, dim, lev int
		metric                  string
		k                       int
	}{
		{"euclidean gaussian", 3000, 40, 37, 0, Euclidean, 100},
		{"cosine gaussian", 3000, 40, 100, 0, Cosine, 100},
		{"euclidean integer ties", 2000, 40, 8, 3, Euclidean, 50},
		{"cosine integer ties", 2000, 40, 3, 2, Cosine, 50},
		{"k = ntrain", 60, 5, 16, 0, Euclidean, 60},
		{"fewer train than candidates", 100, 5, 16, 0, Cosine, 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := randomDataset(7, tc.ntrain, tc.ntest, tc.dim, tc.metric, tc.lev)
			tr, fb, err := computeTruth(ctx, d, tc.k, 3, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.lev > 0 && fb == 0 {
				t.Errorf("integer data with ties never took the float64 fallback")
			}
			checkTruth(t, d, tr, allQueries(tc.ntest))
		})
	}
}

func TestGroundTruthCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d := randomDataset(3, 1500, 30, 24, Euclidean, 0)
	d.Metric = Euclidean
	var calls int
	o := TruthOptions{DataDir: dir, Progress: func(done, total int) { calls++ }}
	tr, err := GroundTruth(ctx, d, 20, o)
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("progress never called")
	}
	path := truthPath(dir, d, 20)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no cache file: %v", err)
	}
	calls = 0
	again, err := GroundTruth(ctx, d, 20, o)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Error("recomputed although the cache was valid")
	}
	checkTruth(t, d, again, allQueries(d.NTest))

	// A prefix of the queries with a smaller k is served from the larger cache entry.
	pre := *d
	pre.truncate(0, 10)
	calls = 0
	small, err := GroundTruth(ctx, &pre, 5, o)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 0 || small.K != 5 || small.NTest != 10 {
		t.Errorf("prefix request: %d progress calls, k=%d, %d queries", calls, small.K, small.NTest)
	}
	checkTruth(t, &pre, small, allQueries(10))
	// Other test vectors with the same count are not a prefix: recomputed.
	other := pre
	other.Test = append([]float32(nil), pre.Test...)
	other.Test[3] += 1
	calls = 0
	if _, err := GroundTruth(ctx, &other, 5, o); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("changed test vector served from the cache")
	}

	// Corrupt one byte of the payload: the checksum catches it and the truth is recomputed.
	b, _ := os.ReadFile(path)
	b[len(b)-20] ^= 0xff
	os.WriteFile(path, b, 0o644)
	if _, err := readTruthFile(path, d, 20, fingerprint(d)); err == nil {
		t.Fatal("corrupt cache accepted")
	}
	calls = 0
	if again, err = GroundTruth(ctx, d, 20, o); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("corrupt cache not recomputed")
	}
	checkTruth(t, d, again, allQueries(d.NTest))

	// Different data under the same name and sizes: stale, recomputed.
	d2 := randomDataset(4, 1500, 30, 24, Euclidean, 0)
	calls = 0
	tr2, err := GroundTruth(ctx, d2, 20, o)
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Error("stale cache (other data) not recomputed")
	}
	checkTruth(t, d2, tr2, []int{0, 1, 2})
	_ = tr

	// Truncated file.
	os.WriteFile(path, b[:10], 0o644)
	if _, err := readTruthFile(path, d, 20, fingerprint(d)); err == nil {
		t.Fatal("truncated cache accepted")
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
}

func TestGroundTruthFashionMNISTSample(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	d := needData(t, "fashion-mnist-784-euclidean", LoadOptions{MaxTrain: 10000, MaxTest: 50})
	tr, _, err := computeTruth(context.Background(), d, 100, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTruth(t, d, tr, []int{0, 1, 7, 23, 49})
}

func BenchmarkGroundTruthFashionMNIST1000(b *testing.B) {
	d, err := Load(context.Background(), "fashion-mnist-784-euclidean", LoadOptions{MaxTest: 1000, NoInstall: true})
	if err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if _, _, err := computeTruth(context.Background(), d, 100, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
