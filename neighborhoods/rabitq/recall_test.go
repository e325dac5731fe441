package rabitq_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/neighborhoods/rabitq"
)

// rerankDepths are the numbers of candidates, best by estimate, re-ranked with exact float32.
var rerankDepths = []int{20, 40, 80, 160, 320, 640, 1280}

// TestRecallReal measures, on GloVe-100 (cosine) and Fashion-MNIST (L2), partitioned with the
// balanced k-means of neighborhoods.Partition: recall@10 after exact re-rank of the top R
// candidates by RaBitQ estimate, against the exact scan of the same neighborhoods, and the
// time per code scanned (Prepare + Estimate) against the time per float32 vector
// (neighborhoods.DotBatch/SquaredL2Batch and per-row Dot/SquaredL2), all in one run.
func TestRecallReal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		nprobe []int
	}{
		{"glove-100-angular", []int{16, 32, 64, 128}},
		{"fashion-mnist-784-euclidean", []int{4, 8, 16, 32}},
	} {
		t.Run(tc.name, func(t *testing.T) { recallReal(t, tc.name, tc.nprobe) })
	}
}

// nbhd is one encoded neighborhood with its float32 rows (unit-normalized for Cosine).
type nbhd struct {
	codes *rabitq.Codes
	rows  []float32
	ids   []int32
}

type cand struct {
	est   float32
	lower float32
	id    int32
	row   int32 // index into the neighborhood's rows
	nb    int32
}

func recallReal(t *testing.T, name string, nprobes []int) {
	if testing.Short() {
		t.Skip("real-data measurement skipped in -short mode")
	}
	ctx := context.Background()
	d, err := datasets.Load(ctx, name, datasets.LoadOptions{MaxTest: 1000, NoInstall: os.Getenv("CI") == ""})
	if err != nil {
		if os.Getenv("CI") != "" || !errors.Is(err, datasets.ErrNotInstalled) {
			t.Fatalf("load %s: %v", name, err)
		}
		t.Skipf("data set %s not installed: %v", name, err)
	}
	truth, err := datasets.GroundTruth(ctx, d, 10)
	if err != nil {
		t.Fatal(err)
	}
	metric, err := neighborhoods.ParseMetric(d.Metric)
	if err != nil {
		t.Fatal(err)
	}
	dim := d.Dim
	rm := rabitq.Euclidean
	if metric == neighborhoods.Cosine {
		rm = rabitq.Cosine
	}
	start := time.Now()
	part, err := neighborhoods.Partition(ctx, d.Train, dim, metric, neighborhoods.PartitionOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	partTime := time.Since(start)
	rot, err := rabitq.NewRotation(dim, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	nbs := make([]nbhd, part.K())
	codeBytes := 0
	for j, mem := range part.Members {
		rows := make([]float32, 0, len(mem)*dim)
		for _, id := range mem {
			rows = append(rows, d.TrainVec(int(id))...)
		}
		if metric == neighborhoods.Cosine {
			for i := range mem {
				unit(rows[i*dim : (i+1)*dim])
			}
		}
		b, err := rabitq.Encode(part.Centroids[j*dim:(j+1)*dim], rows, rabitq.EncodeOptions{Metric: rm, Rotation: rot})
		if err != nil {
			t.Fatal(err)
		}
		codeBytes += len(b)
		c, err := rabitq.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		nbs[j] = nbhd{codes: c, rows: rows, ids: mem}
	}
	encTime := time.Since(start)
	t.Logf("%s: %d train × %d, %d queries; %d neighborhoods (partition %v, encode %v); codes %.1f B/vector vs %d B float32",
		name, d.NTrain, dim, d.NTest, part.K(), partTime.Round(time.Millisecond), encTime.Round(time.Millisecond),
		float64(codeBytes)/float64(d.NTrain), 4*dim)

	q, err := rabitq.NewQuery(rot, rm)
	if err != nil {
		t.Fatal(err)
	}
	k := part.K()
	order := make([][]int32, d.NTest) // centroids nearest first, per query
	qvecs := make([]float32, d.NTest*dim)
	cd := make([]float32, k)
	for qi := range d.NTest {
		qv := qvecs[qi*dim : (qi+1)*dim]
		copy(qv, d.TestVec(qi))
		if metric == neighborhoods.Cosine {
			unit(qv)
		}
		neighborhoods.SquaredL2Batch(qv, part.Centroids, cd)
		o := make([]int32, k)
		for i := range o {
			o[i] = int32(i)
		}
		slices.SortFunc(o, func(a, b int32) int { return cmp.Compare(cd[a], cd[b]) })
		order[qi] = o[:nprobes[len(nprobes)-1]]
	}
	maxN := 0
	for _, nb := range nbs {
		maxN = max(maxN, nb.codes.Len())
	}
	est := make([]float32, maxN)
	lower := make([]float32, maxN)
	exact := make([]float32, maxN)
	var cands []cand
	top := make([]cand, 0, rerankDepths[len(rerankDepths)-1])
	var tb strings.Builder
	fmt.Fprintf(&tb, "\n%-6s %8s %7s", "nprobe", "scanned", "exact")
	for _, r := range rerankDepths {
		fmt.Fprintf(&tb, " %7s", fmt.Sprintf("R=%d", r))
	}
	fmt.Fprintf(&tb, " %7s %6s %8s %9s %9s %8s %8s\n", "bound", "Rbound", "ns/code", "ns/f32bat", "ns/f32row", "bat/code", "row/code")
	timePasses := func(np int) (tCode, tBatch, tRow time.Duration) {
		// Three timed passes over all queries, each alone so that none warms the cache for
		// another: RaBitQ (rotate once, Prepare + Estimate per neighborhood), the blocked
		// float32 kernel, and the per-row float32 kernel.
		t0 := time.Now()
		for qi := range d.NTest {
			_ = q.SetVector(d.TestVec(qi))
			for _, j := range order[qi][:np] {
				_ = q.Prepare(nbs[j].codes)
				q.Estimate(est)
			}
		}
		tCode = time.Since(t0)
		t0 = time.Now()
		for qi := range d.NTest {
			qv := qvecs[qi*dim : (qi+1)*dim]
			for _, j := range order[qi][:np] {
				if metric == neighborhoods.Cosine {
					neighborhoods.DotBatch(qv, nbs[j].rows, exact)
				} else {
					neighborhoods.SquaredL2Batch(qv, nbs[j].rows, exact)
				}
			}
		}
		tBatch = time.Since(t0)
		t0 = time.Now()
		var sink float32
		for qi := range d.NTest {
			qv := qvecs[qi*dim : (qi+1)*dim]
			for _, j := range order[qi][:np] {
				rows := nbs[j].rows
				for i := 0; i < len(rows); i += dim {
					if metric == neighborhoods.Cosine {
						sink += neighborhoods.Dot(qv, rows[i:i+dim])
					} else {
						sink += neighborhoods.SquaredL2(qv, rows[i:i+dim])
					}
				}
			}
		}
		tRow = time.Since(t0)
		_ = sink
		return tCode, tBatch, tRow
	}
	timePasses(nprobes[0]) // warm-up
	for _, np := range nprobes {
		var scanned int
		for qi := range d.NTest {
			for _, j := range order[qi][:np] {
				scanned += nbs[j].codes.Len()
			}
		}
		tCode, tBatch, tRow := timePasses(np)

		// Recall (untimed).
		recall := make([]float64, len(rerankDepths))
		var recallExact, recallBound, reranked float64
		ids := make([]int, 0, 10)
		for qi := range d.NTest {
			qv := qvecs[qi*dim : (qi+1)*dim]
			cands = cands[:0]
			_ = q.SetVector(d.TestVec(qi))
			for _, j := range order[qi][:np] {
				nb := &nbs[j]
				_ = q.Prepare(nb.codes)
				q.EstimateBounds(est, lower)
				for i, e := range est[:nb.codes.Len()] {
					cands = append(cands, cand{est: e, lower: lower[i], id: nb.ids[i], row: int32(i), nb: j})
				}
			}
			dist := func(c cand) float32 {
				return exactDist(metric, qv, nbs[c.nb].rows[int(c.row)*dim:(int(c.row)+1)*dim])
			}
			top = selectTop(cands, rerankDepths[len(rerankDepths)-1], top)
			for ri, r := range rerankDepths {
				sub := slices.Clone(top[:min(r, len(top))])
				for i := range sub {
					sub[i].est = dist(sub[i])
				}
				recall[ri] += recallOf(truth, d, qi, bestIDs(sub, 10, ids))
			}
			// bound-driven re-rank: candidates by lower bound, exact until the lower bound
			// exceeds the 10th exact distance so far
			slices.SortFunc(cands, func(a, b cand) int { return cmp.Compare(a.lower, b.lower) })
			var best []cand
			kth := float32(math.Inf(1))
			n := 0
			for _, c := range cands {
				if c.lower > kth {
					break
				}
				c.est = dist(c)
				n++
				best = append(best, c)
				if len(best) >= 10 {
					slices.SortFunc(best, func(a, b cand) int { return cmp.Compare(a.est, b.est) })
					best = best[:10]
					kth = best[9].est
				}
			}
			reranked += float64(n)
			recallBound += recallOf(truth, d, qi, bestIDs(best, 10, ids))
			// exact ceiling: the true top 10 among the probed vectors
			for i := range cands {
				cands[i].est = dist(cands[i])
			}
			recallExact += recallOf(truth, d, qi, bestIDs(cands, 10, ids))
		}
		nq := float64(d.NTest)
		nsCode := float64(tCode.Nanoseconds()) / float64(scanned)
		nsBatch := float64(tBatch.Nanoseconds()) / float64(scanned)
		nsRow := float64(tRow.Nanoseconds()) / float64(scanned)
		fmt.Fprintf(&tb, "%-6d %8.0f %7.4f", np, float64(scanned)/nq, recallExact/nq)
		for ri := range rerankDepths {
			fmt.Fprintf(&tb, " %7.4f", recall[ri]/nq)
		}
		fmt.Fprintf(&tb, " %7.4f %6.0f %8.2f %9.2f %9.2f %8.2f %8.2f\n", recallBound/nq, reranked/nq, nsCode, nsBatch, nsRow, nsBatch/nsCode, nsRow/nsCode)
	}
	t.Logf("%s: recall@10 of the exact scan of the probed neighborhoods, after exact re-rank of the top R by estimate, "+
		"and after bound-driven re-rank (Rbound: vectors re-ranked per query); scanned = vectors per query; "+
		"ns/code includes the per-query rotation and per-neighborhood Prepare:%s", name, tb.String())
}

// selectTop returns the r candidates with the smallest estimates, smallest first.
func selectTop(c []cand, r int, dst []cand) []cand {
	dst = dst[:0]
	if len(c) <= r {
		dst = append(dst, c...)
	} else {
		// max-heap of the r best so far
		dst = append(dst, c[:r]...)
		less := func(a, b cand) bool { return a.est > b.est }
		for i := r/2 - 1; i >= 0; i-- {
			down(dst, i, less)
		}
		for _, x := range c[r:] {
			if x.est < dst[0].est {
				dst[0] = x
				down(dst, 0, less)
			}
		}
	}
	slices.SortFunc(dst, func(a, b cand) int { return cmp.Compare(a.est, b.est) })
	return dst
}

func down(h []cand, i int, less func(a, b cand) bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// bestIDs returns the ids of the k candidates with the smallest est.
func bestIDs(c []cand, k int, dst []int) []int {
	slices.SortFunc(c, func(a, b cand) int { return cmp.Compare(a.est, b.est) })
	dst = dst[:0]
	for _, x := range c[:min(k, len(c))] {
		dst = append(dst, int(x.id))
	}
	return dst
}

func recallOf(t *datasets.Truth, d *datasets.Dataset, qi int, ids []int) float64 {
	return t.Recall(d, qi, ids, 10)
}

func exactDist(m neighborhoods.Metric, q, row []float32) float32 {
	if m == neighborhoods.Cosine {
		return 1 - neighborhoods.Dot(q, row)
	}
	return neighborhoods.SquaredL2(q, row)
}

func unit(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}
