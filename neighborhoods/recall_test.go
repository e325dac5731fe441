package neighborhoods_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// loadSet loads a real data set and its exact top-10 ground truth. Without the data set it
// skips, or fails when CI is set.
func loadSet(t testing.TB, name string, maxTrain, maxTest int) (*datasets.Dataset, *datasets.Truth) {
	t.Helper()
	if testing.Short() {
		t.Skip("real-data recall test skipped in -short mode")
	}
	ctx := context.Background()
	d, err := datasets.Load(ctx, name, datasets.LoadOptions{MaxTrain: maxTrain, MaxTest: maxTest, NoInstall: os.Getenv("CI") == ""})
	if err != nil {
		if os.Getenv("CI") != "" || !errors.Is(err, datasets.ErrNotInstalled) {
			t.Fatalf("load %s: %v", name, err)
		}
		t.Skipf("data set %s not installed (make deps installs it): %v", name, err)
	}
	truth, err := datasets.GroundTruth(ctx, d, 10)
	if err != nil {
		t.Fatalf("ground truth %s: %v", name, err)
	}
	return d, truth
}

// memIndex is the in-memory equivalent of an index: neighborhoods encoded and decoded through
// the real object format, searched with NearestCentroids + ScanSegment + TopK.
type memIndex struct {
	dim    int
	metric neighborhoods.Metric
	cent   []float32
	segs   []*neighborhoods.Segment
	rows   [][]int32 // segs[j] row r is train vector rows[j][r]
	build  time.Duration
	part   *neighborhoods.Partitioning
	proj   *neighborhoods.Projection // nil: no sketches
	sks    []*neighborhoods.Sketches // per segment, with proj
	mode   scanMode
	cand   *neighborhoods.TopK
}

// scanMode is how memIndex scores probed segments.
type scanMode int

const (
	scanPlain  scanMode = iota // ScanSegment: every row in full
	scanSketch                 // ScanSegmentSketched: exact, skips rows by the sketch bound
	scanRerank                 // SketchCandidates + Rerank of RerankDepth(k): approximate
)

func (m scanMode) String() string { return [...]string{"plain", "sketch", "rerank"}[m] }

// addSketches computes the centroid projection and every segment's sketches.
func (x *memIndex) addSketches() bool {
	x.proj = neighborhoods.NewProjection(x.cent, x.dim)
	if x.proj == nil {
		return false
	}
	x.sks = make([]*neighborhoods.Sketches, len(x.segs))
	for j, s := range x.segs {
		x.sks[j] = neighborhoods.NewSketches(s, x.proj, x.metric)
	}
	return true
}

func buildMem(t testing.TB, d *datasets.Dataset, opts neighborhoods.PartitionOptions) *memIndex {
	t.Helper()
	metric, err := neighborhoods.ParseMetric(d.Metric)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p, err := neighborhoods.Partition(context.Background(), d.Train, d.Dim, metric, opts)
	if err != nil {
		t.Fatal(err)
	}
	x := &memIndex{dim: d.Dim, metric: metric, cent: p.Centroids, rows: p.Members, build: time.Since(start), part: p}
	for _, m := range p.Members {
		recs := make([]neighborhoods.Record, len(m))
		for r, i := range m {
			recs[r] = neighborhoods.Record{Key: strconv.Itoa(int(i)), Vector: d.TrainVec(int(i)), Seq: 1}
		}
		data, err := neighborhoods.EncodeSegment(d.Dim, metric, recs)
		if err != nil {
			t.Fatal(err)
		}
		seg, err := neighborhoods.DecodeSegment(data)
		if err != nil {
			t.Fatal(err)
		}
		x.segs = append(x.segs, seg)
	}
	return x
}

// search returns the ids of the k nearest train vectors found probing nprobe neighborhoods.
func (x *memIndex) search(q []float32, k, nprobe int, ratio float32, top *neighborhoods.TopK, probes []int, hits []neighborhoods.Hit) ([]int, int) {
	probes = neighborhoods.NearestCentroids(x.cent, x.dim, x.metric, q, nprobe, ratio, probes)
	top.Reset(k)
	scored := 0
	switch x.mode {
	case scanSketch:
		qs := x.proj.Apply(nil, q, x.metric)
		for _, j := range probes {
			scored += neighborhoods.ScanSegmentSketched(x.segs[j], x.sks[j], x.metric, q, qs, top, int32(j), nil)
		}
	case scanRerank:
		qs := x.proj.Apply(nil, q, x.metric)
		if x.cand == nil {
			x.cand = neighborhoods.NewTopK(1)
		}
		x.cand.Reset(neighborhoods.RerankDepth(k))
		for _, j := range probes {
			neighborhoods.SketchCandidates(x.segs[j], x.sks[j], x.metric, qs, x.cand, int32(j), nil)
		}
		scored = neighborhoods.Rerank(x.cand, func(s int32) *neighborhoods.Segment { return x.segs[s] }, x.metric, q, top)
	default:
		for _, j := range probes {
			scored += neighborhoods.ScanSegment(x.segs[j], x.metric, q, top, int32(j), nil)
		}
	}
	hits = top.Sorted(hits[:0])
	ids := make([]int, len(hits))
	for i, h := range hits {
		ids[i] = int(x.rows[h.Source][h.Row])
	}
	return ids, scored
}

type point struct {
	nprobe        int
	recall, qps   float64
	scored        float64
	build         time.Duration
	k, replicas   int
	targetSize    int
	ratio         float32
	maxReplicas   int
	epsilon       float32
	neighborhoods int
}

func (x *memIndex) measure(d *datasets.Dataset, truth *datasets.Truth, nq, nprobe int, ratio float32) point {
	top := neighborhoods.NewTopK(10)
	probes := make([]int, 0, nprobe)
	hits := make([]neighborhoods.Hit, 0, 10)
	results := make([][]int, nq)
	scored := 0
	start := time.Now()
	for q := 0; q < nq; q++ {
		var s int
		results[q], s = x.search(d.TestVec(q), 10, nprobe, ratio, top, probes, hits)
		scored += s
	}
	el := time.Since(start)
	return point{nprobe: nprobe, ratio: ratio, recall: truth.MeanRecall(d, results, 10), qps: float64(nq) / el.Seconds(),
		scored: float64(scored) / float64(nq), build: x.build, neighborhoods: len(x.segs), replicas: x.part.Replicas}
}

// checkDefaultRecall builds with default options, calibrates, and requires recall@10 ≥ 0.95 on
// the data set's real test queries at the calibrated default nprobe.
func checkDefaultRecall(t *testing.T, d *datasets.Dataset, truth *datasets.Truth) {
	x := buildMem(t, d, neighborhoods.PartitionOptions{Seed: 1})
	start := time.Now()
	cal, err := neighborhoods.Calibrate(context.Background(), d.Train, d.Dim, x.metric, x.part, neighborhoods.CalibrateOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	calTime := time.Since(start)
	np := cal.NProbeFor(neighborhoods.DefaultTargetRecall)
	p := x.measure(d, truth, d.NTest, np, neighborhoods.DefaultProbeRatio)
	t.Logf("%s (%d train): %d neighborhoods, %d replicas, build %v, calibration %v: nprobe %d (estimated recall %.4f) → measured recall@10 %.4f, %.0f vectors scored/query, %.0f QPS (1 thread, noisy)",
		d.Name, d.NTrain, p.neighborhoods, p.replicas, p.build.Round(time.Millisecond), calTime.Round(time.Millisecond), np, cal.Recall[np-1], p.recall, p.scored, p.qps)
	if p.recall < 0.95 {
		t.Errorf("recall@10 = %.4f with default settings, want ≥ 0.95", p.recall)
	}
	if math.Abs(p.recall-float64(cal.Recall[np-1])) > 0.03 {
		t.Errorf("calibration estimated recall %.4f at nprobe %d, measured %.4f", cal.Recall[np-1], np, p.recall)
	}
	if x.addSketches() {
		x.mode = scanRerank
		p := x.measure(d, truth, d.NTest, np, neighborhoods.DefaultProbeRatio)
		t.Logf("%s with sketch candidates + rerank of %d: recall@10 %.4f, %.0f full distances/query, %.0f QPS (1 thread, noisy)",
			d.Name, neighborhoods.RerankDepth(10), p.recall, p.scored, p.qps)
		if p.recall < 0.95 {
			t.Errorf("recall@10 = %.4f with sketches + rerank at the default nprobe, want ≥ 0.95", p.recall)
		}
	}
}

func TestRecallFashionMNIST(t *testing.T) {
	d, truth := loadSet(t, "fashion-mnist-784-euclidean", 0, 1000)
	checkDefaultRecall(t, d, truth)
}

// TestRecallGloVe runs on a seeded random 100k subset of GloVe's train vectors (its first 100k
// are the most frequent words, unlike the held-out test words), or on all of them with
// VB_GLOVE_TRAIN=0.
func TestRecallGloVe(t *testing.T) {
	d, truth := loadSet(t, "glove-100-angular", 0, 1000)
	if n := gloveTrain(); n > 0 && n < d.NTrain {
		d, truth = randomSubset(t, d, n)
	}
	checkDefaultRecall(t, d, truth)
}

// randomSubset keeps n train vectors chosen with a fixed seed, with their own ground truth.
func randomSubset(t testing.TB, d *datasets.Dataset, n int) (*datasets.Dataset, *datasets.Truth) {
	t.Helper()
	idx := rand.New(rand.NewPCG(42, 42)).Perm(d.NTrain)[:n]
	slices.Sort(idx)
	sub := *d
	sub.Name = fmt.Sprintf("%s-random%d", d.Name, n)
	sub.NTrain = n
	sub.Train = make([]float32, 0, n*d.Dim)
	sub.TrainLabels, sub.TrainWords = nil, nil
	for _, i := range idx {
		sub.Train = append(sub.Train, d.TrainVec(i)...)
	}
	truth, err := datasets.GroundTruth(context.Background(), &sub, 10)
	if err != nil {
		t.Fatalf("ground truth %s: %v", sub.Name, err)
	}
	return &sub, truth
}

// TestPartitionSweep prints recall/QPS over neighborhood size, replication and nprobe (the
// measurements behind the defaults). Run: VB_SWEEP=fashion-mnist-784-euclidean go test
// ./neighborhoods -run Sweep -v -timeout 30m
func TestPartitionSweep(t *testing.T) {
	name := os.Getenv("VB_SWEEP")
	if name == "" {
		t.Skip("set VB_SWEEP=<data set> to run the sweep")
	}
	maxTrain, _ := strconv.Atoi(os.Getenv("VB_SWEEP_TRAIN"))
	d, truth := loadSet(t, name, maxTrain, 1000)
	sizes := []int{64, 128, 256, 512, 1024}
	if s := os.Getenv("VB_SWEEP_SIZES"); s != "" {
		sizes = nil
		for _, f := range splitComma(s) {
			v, _ := strconv.Atoi(f)
			sizes = append(sizes, v)
		}
	}
	reps := []neighborhoods.ReplicationOptions{{}, {MaxReplicas: 2, Epsilon: 0.1}}
	fmt.Printf("%-28s %6s %5s %8s %9s %6s %7s %6s %9s %8s\n", "data", "target", "reps", "nbhds", "build", "nprobe", "ratio", "recall", "scored/q", "QPS")
	for _, size := range sizes {
		for _, r := range reps {
			x := buildMem(t, d, neighborhoods.PartitionOptions{Seed: 1, TargetSize: size, Replicate: r})
			for _, frac := range []float64{0.01, 0.02, 0.03, 0.05, 0.08, 0.12} {
				np := max(1, int(frac*float64(len(x.segs))+0.5))
				for _, ratio := range []float32{0, 1.5} {
					p := x.measure(d, truth, d.NTest, np, ratio)
					fmt.Printf("%-28s %6d %5d %8d %9v %6d %7.2f %6.4f %9.0f %8.0f\n", name, size, p.replicas, p.neighborhoods, p.build.Round(time.Millisecond), np, ratio, p.recall, p.scored, p.qps)
				}
			}
		}
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// gloveTrain is the GloVe train size for the recall test: 100,000 (CI) unless VB_GLOVE_TRAIN
// says otherwise (0 = all 331,479).
func gloveTrain() int {
	if s, ok := os.LookupEnv("VB_GLOVE_TRAIN"); ok {
		n, _ := strconv.Atoi(s)
		return n
	}
	return 100000
}

// BenchmarkSearchFashionMNIST measures one-at-a-time, single-thread search over the 1,000 test
// queries at several nprobe values (recall reported as a metric), plain and with sketches.
// go test ./neighborhoods -run XXX -bench Search -benchtime 3x
func BenchmarkSearchFashionMNIST(b *testing.B) {
	d, truth := loadSet(b, "fashion-mnist-784-euclidean", 0, 1000)
	benchSearch(b, d, truth, func(int) []int { return []int{3, 4, 5, 6, 8, 12} })
}

// BenchmarkSearchGloVe is BenchmarkSearchFashionMNIST on GloVe-100 (cosine, the recall test's
// random 100k subset, or all 331k with VB_GLOVE_TRAIN=0; sketches do not apply at 100-d).
func BenchmarkSearchGloVe(b *testing.B) {
	d, truth := loadSet(b, "glove-100-angular", 0, 1000)
	if n := gloveTrain(); n > 0 && n < d.NTrain {
		d, truth = randomSubset(b, d, n)
	}
	benchSearch(b, d, truth, func(k int) []int { // 3%…15% of the neighborhoods
		var out []int
		for _, pc := range []int{3, 5, 7, 9, 12, 15} {
			out = append(out, (k*pc+50)/100)
		}
		return out
	})
}

func benchSearch(b *testing.B, d *datasets.Dataset, truth *datasets.Truth, nprobesFor func(k int) []int) {
	x := buildMem(b, d, neighborhoods.PartitionOptions{Seed: 1})
	nprobes := nprobesFor(len(x.segs))
	modes := []scanMode{scanPlain}
	if x.addSketches() {
		modes = append(modes, scanSketch, scanRerank)
	}
	for _, np := range nprobes {
		for _, mode := range modes {
			b.Run(fmt.Sprintf("nprobe=%d/%v", np, mode), func(b *testing.B) {
				x.mode = mode
				var p point
				for b.Loop() {
					p = x.measure(d, truth, d.NTest, np, 0)
				}
				b.ReportMetric(p.recall, "recall@10")
				b.ReportMetric(p.scored, "full-distances/query")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*d.NTest), "ns/query")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
