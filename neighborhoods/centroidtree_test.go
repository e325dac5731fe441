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
	"strings"
	"testing"

	"github.com/vectorbucket/vectorbucket/datasets"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// centTable is a centroid table to search with a tree, and held-out queries.
type centTable struct {
	name    string
	dim     int
	metric  neighborhoods.Metric
	cents   []float32
	queries []float32
	truth   [][]int // per query, the exact truthDepth nearest centroids (computed on first use)
}

// truthDepth is how many exact nearest centroids the oracle keeps per query.
const truthDepth = 64

// want returns the exact nprobe ≤ truthDepth nearest centroids to query qi.
func (c *centTable) want(qi, nprobe int) []int {
	if c.truth == nil {
		c.truth = make([][]int, len(c.queries)/c.dim)
	}
	if c.truth[qi] == nil {
		c.truth[qi] = exactNearest(c.cents, c.dim, c.metric, c.queries[qi*c.dim:(qi+1)*c.dim], truthDepth)
	}
	return c.truth[qi][:min(nprobe, len(c.truth[qi]))]
}

func (c *centTable) k() int { return len(c.cents) / c.dim }

// exactNearest is the oracle: the nprobe nearest centroids by a plain-Go float64 scan.
func exactNearest(cents []float32, dim int, metric neighborhoods.Metric, q []float32, nprobe int) []int {
	k := len(cents) / dim
	type sc struct {
		s float64
		i int
	}
	all := make([]sc, k)
	var qq float64
	for _, x := range q {
		qq += float64(x) * float64(x)
	}
	for i := range all {
		c := cents[i*dim : (i+1)*dim]
		var dot, cc, l2 float64
		for j, x := range c {
			dot += float64(x) * float64(q[j])
			cc += float64(x) * float64(x)
			d := float64(x) - float64(q[j])
			l2 += d * d
		}
		switch metric {
		case neighborhoods.Cosine:
			s := 1.0
			if qq > 0 && cc > 0 {
				s = 1 - dot/math.Sqrt(qq*cc)
			}
			all[i] = sc{s, i}
		case neighborhoods.DotProduct:
			all[i] = sc{-dot, i}
		default:
			all[i] = sc{l2, i}
		}
	}
	slices.SortFunc(all, func(a, b sc) int {
		if a.s != b.s {
			if a.s < b.s {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	out := make([]int, min(nprobe, k))
	for i := range out {
		out[i] = all[i].i
	}
	return out
}

// treeOverlap returns the mean fraction of the exact nprobe nearest centroids that the tree
// finds over the table's queries, and the mean fraction of centroids it scores.
func treeOverlap(t testing.TB, tr *neighborhoods.CentroidTree, c *centTable, nprobe int) (overlap, scanned float64) {
	t.Helper()
	var s neighborhoods.TreeScratch
	var got []int
	nq := len(c.queries) / c.dim
	for qi := 0; qi < nq; qi++ {
		q := c.queries[qi*c.dim : (qi+1)*c.dim]
		got = tr.Search(q, nprobe, &s, got)
		want := c.want(qi, nprobe)
		if len(got) != len(want) {
			t.Fatalf("%s: query %d: %d results, want %d", c.name, qi, len(got), len(want))
		}
		in := make(map[int]bool, len(want))
		for _, w := range want {
			in[w] = true
		}
		hit := 0
		for _, g := range got {
			if in[g] {
				hit++
			}
		}
		overlap += float64(hit) / float64(len(want))
		scanned += float64(s.Scored) / float64(c.k())
	}
	return overlap / float64(nq), scanned / float64(nq)
}

// realTables returns centroid tables from real data: k-means centroids (Partition) of GloVe-100
// (cosine; a 100k subset at K ≈ 1k, all 331k vectors at K ≈ 20k, about 15 s) and Fashion-MNIST
// (euclidean, K ≈ 1k), and 4k and 16k sampled GloVe rows (harder than k-means centroids), each
// with 250 held-out test vectors as queries. Skips without the data sets, as the recall tests
// do.
func realTables(t testing.TB) []*centTable {
	t.Helper()
	const nq = 250
	var out []*centTable
	g := loadData(t, "glove-100-angular", nq)
	sub := rand.New(rand.NewPCG(42, 42)).Perm(g.NTrain)[:100000]
	slices.Sort(sub)
	gsub := *g
	gsub.NTrain, gsub.Train = len(sub), make([]float32, 0, len(sub)*g.Dim)
	for _, i := range sub {
		gsub.Train = append(gsub.Train, g.TrainVec(i)...)
	}
	out = append(out, partitionTable(t, "glove-kmeans", &gsub, neighborhoods.Cosine, 100))
	out = append(out, partitionTable(t, "glove-kmeans", g, neighborhoods.Cosine, max(1, g.NTrain/16384)))
	for _, k := range []int{4096, 16384} {
		idx := rand.New(rand.NewPCG(7, 7)).Perm(g.NTrain)[:k]
		sampled := make([]float32, 0, len(idx)*g.Dim)
		for _, i := range idx {
			sampled = append(sampled, g.TrainVec(i)...)
		}
		out = append(out, &centTable{name: "glove-rows", dim: g.Dim, metric: neighborhoods.Cosine, cents: sampled, queries: g.Test})
	}
	f := loadData(t, "fashion-mnist-784-euclidean", nq)
	out = append(out, partitionTable(t, "fashion-kmeans", f, neighborhoods.Euclidean, 60))
	return out
}

// loadData loads a real data set with maxTest queries and no ground truth, skipping (or
// failing under CI) as loadSet does.
func loadData(t testing.TB, name string, maxTest int) *datasets.Dataset {
	t.Helper()
	if testing.Short() {
		t.Skip("real-data test skipped in -short mode")
	}
	d, err := datasets.Load(context.Background(), name, datasets.LoadOptions{MaxTest: maxTest, NoInstall: os.Getenv("CI") == ""})
	if err != nil {
		if os.Getenv("CI") != "" || !errors.Is(err, datasets.ErrNotInstalled) {
			t.Fatalf("load %s: %v", name, err)
		}
		t.Skipf("data set %s not installed (make deps installs it): %v", name, err)
	}
	return d
}

func partitionTable(t testing.TB, name string, d *datasets.Dataset, metric neighborhoods.Metric, size int) *centTable {
	t.Helper()
	p, err := neighborhoods.Partition(context.Background(), d.Train, d.Dim, metric, neighborhoods.PartitionOptions{TargetSize: size, Seed: 1, Iterations: 6})
	if err != nil {
		t.Fatal(err)
	}
	return &centTable{name: name, dim: d.Dim, metric: metric, cents: p.Centroids, queries: d.Test}
}

// syntheticTable is a Gaussian mixture of k rows (labelled synthetic) with nq fresh queries.
func syntheticTable(t testing.TB, k, dim, nq int, metric neighborhoods.Metric) *centTable {
	t.Helper()
	gen := metric.String()
	if metric == neighborhoods.DotProduct {
		gen = "euclidean"
	}
	d, err := datasets.Synthetic(context.Background(), k, nq, dim, gen, datasets.SyntheticSeed, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &centTable{name: fmt.Sprintf("synthetic-%d", k), dim: dim, metric: metric, cents: d.Train, queries: d.Test}
}

func buildTree(t testing.TB, c *centTable, o neighborhoods.TreeOptions) *neighborhoods.CentroidTree {
	t.Helper()
	tr, err := neighborhoods.NewCentroidTree(context.Background(), c.cents, c.dim, c.metric, o)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestCentroidTreeOverlap asserts that the tree finds at least 0.99 of the exact nprobe nearest
// centroids (mean over 250 held-out queries) at nprobe 16 and 64, on real centroid tables and
// on a synthetic 64k one, euclidean and cosine.
func TestCentroidTreeOverlap(t *testing.T) {
	tables := realTables(t)
	tables = append(tables, syntheticTable(t, 65536, 64, 250, neighborhoods.Euclidean), syntheticTable(t, 65536, 64, 250, neighborhoods.Cosine))
	for _, c := range tables {
		tr := buildTree(t, c, neighborhoods.TreeOptions{Seed: 1})
		for _, nprobe := range []int{16, 64} {
			ov, sc := treeOverlap(t, tr, c, nprobe)
			t.Logf("%s %v K=%d G=%d nprobe=%d: overlap %.4f, scored %.3f of K", c.name, c.metric, c.k(), tr.Groups(), nprobe, ov, sc)
			if ov < 0.99 {
				t.Errorf("%s %v K=%d nprobe=%d: overlap %.4f, want ≥ 0.99", c.name, c.metric, c.k(), nprobe, ov)
			}
		}
	}
}

// TestCentroidTreeSmall checks the contract on small tables of every metric: a search that
// scans every group matches NearestCentroids exactly, results are distinct indices nearest
// first, the build is deterministic, and a search allocates nothing.
func TestCentroidTreeSmall(t *testing.T) {
	for _, m := range []neighborhoods.Metric{neighborhoods.Euclidean, neighborhoods.Cosine, neighborhoods.DotProduct} {
		c := syntheticTable(t, 3000, 24, 50, m)
		all := buildTree(t, c, neighborhoods.TreeOptions{Seed: 3, Beam: 1 << 20})
		var s neighborhoods.TreeScratch
		var got, want []int
		for qi := 0; qi < 50; qi++ {
			q := c.queries[qi*c.dim : (qi+1)*c.dim]
			got = all.Search(q, 20, &s, got)
			want = neighborhoods.NearestCentroids(c.cents, c.dim, c.metric, q, 20, 0, want)
			if !slices.Equal(got, want) {
				t.Fatalf("%v query %d: full scan %v, NearestCentroids %v", m, qi, got, want)
			}
			if s.Visited != all.Groups() {
				t.Fatalf("%v: visited %d of %d groups", m, s.Visited, all.Groups())
			}
		}
		tr1 := buildTree(t, c, neighborhoods.TreeOptions{Seed: 3, Groups: 40, ScanFloor: 1})
		tr2 := buildTree(t, c, neighborhoods.TreeOptions{Seed: 3, Groups: 40, ScanFloor: 1, Workers: 1})
		ov, _ := treeOverlap(t, tr1, c, 10)
		t.Logf("%v: overlap %.3f at a tight scan", m, ov)
		var s2 neighborhoods.TreeScratch
		var got2 []int
		for qi := 0; qi < 50; qi++ {
			q := c.queries[qi*c.dim : (qi+1)*c.dim]
			got = tr1.Search(q, 10, &s, got)
			got2 = tr2.Search(q, 10, &s2, got2)
			if !slices.Equal(got, got2) {
				t.Fatalf("%v query %d: builds differ: %v vs %v", m, qi, got, got2)
			}
			seen := map[int]bool{}
			for _, i := range got {
				if seen[i] || i < 0 || i >= c.k() {
					t.Fatalf("%v query %d: bad result %v", m, qi, got)
				}
				seen[i] = true
			}
		}
		q := c.queries[:c.dim]
		if a := testing.AllocsPerRun(20, func() { got = tr1.Search(q, 10, &s, got) }); a != 0 {
			t.Errorf("%v: Search allocates %v times", m, a)
		}
	}
}

// TestCentroidTreeSweep prints overlap and the scanned fraction over the tree parameters (the
// measurements behind the defaults). Run: VB_TREE_SWEEP=1 go test ./neighborhoods -run
// TreeSweep -v -timeout 30m
func TestCentroidTreeSweep(t *testing.T) {
	if os.Getenv("VB_TREE_SWEEP") == "" {
		t.Skip("set VB_TREE_SWEEP=1 to run the sweep")
	}
	tables := realTables(t)
	tables = append(tables, syntheticTable(t, 65536, 64, 250, neighborhoods.Euclidean))
	factors := []float64{0.5, 1, 2}
	if s := os.Getenv("VB_TREE_FACTORS"); s != "" {
		factors = factors[:0]
		for _, f := range strings.Split(s, ",") {
			v, _ := strconv.ParseFloat(f, 64)
			factors = append(factors, v)
		}
	}
	for _, c := range tables {
		for _, f := range factors {
			groups := max(1, int(f*math.Sqrt(float64(c.k()))))
			base := buildTree(t, c, neighborhoods.TreeOptions{Seed: 1, Groups: groups})
			for _, floor := range sweepInts("VB_TREE_FLOORS", 1024, 2048, 4096, 8192) {
				for _, beam := range sweepInts("VB_TREE_BEAMS", 8, 16, 32, 64) {
					tr := base.Tuned(neighborhoods.TreeOptions{ScanFloor: floor, Beam: beam})
					for _, nprobe := range []int{16, 64} {
						ov, sc := treeOverlap(t, tr, c, nprobe)
						t.Logf("%s K=%d G=%d floor=%d beam=%d nprobe=%d: overlap %.4f scored %.3f", c.name, c.k(), tr.Groups(), floor, beam, nprobe, ov, sc)
					}
				}
			}
		}
	}
}

// sweepInts returns the comma-separated integers of the environment variable env, or def.
func sweepInts(env string, def ...int) []int {
	s := os.Getenv(env)
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, _ := strconv.Atoi(f)
		out = append(out, v)
	}
	return out
}

// BenchmarkCentroidTree measures choosing nprobe centroids with the tree and exhaustively (the
// index's path: one blocked kernel call over the table, then a bounded heap), single thread,
// on synthetic 128-dimensional tables (labelled synthetic) of 1k, 4k, 16k and 64k rows.
// go test ./neighborhoods -run XXX -bench CentroidTree
func BenchmarkCentroidTree(b *testing.B) {
	for _, k := range []int{1024, 4096, 16384, 65536} {
		benchTree(b, syntheticTable(b, k, 128, 256, neighborhoods.Euclidean))
	}
}

// BenchmarkCentroidTreeGloVe is BenchmarkCentroidTree on GloVe-100 (cosine, the hard case):
// sampled rows as 4k and 16k tables. go test ./neighborhoods -run XXX -bench TreeGloVe
func BenchmarkCentroidTreeGloVe(b *testing.B) {
	g := loadData(b, "glove-100-angular", 256)
	for _, k := range []int{4096, 16384} {
		idx := rand.New(rand.NewPCG(7, 7)).Perm(g.NTrain)[:k]
		rows := make([]float32, 0, k*g.Dim)
		for _, i := range idx {
			rows = append(rows, g.TrainVec(i)...)
		}
		benchTree(b, &centTable{name: "glove-rows", dim: g.Dim, metric: neighborhoods.Cosine, cents: rows, queries: g.Test})
	}
}

// benchTree runs the tree and exhaustive sub-benchmarks of one table.
func benchTree(b *testing.B, c *centTable) {
	k := c.k()
	tr := buildTree(b, c, neighborhoods.TreeOptions{Seed: 1})
	nq := len(c.queries) / c.dim
	for _, nprobe := range []int{16, 64} {
		b.Run(fmt.Sprintf("K=%d/nprobe=%d/tree", k, nprobe), func(b *testing.B) {
			var s neighborhoods.TreeScratch
			var out []int
			scored := 0
			for i := 0; b.Loop(); i++ {
				out = tr.Search(c.queries[(i%nq)*c.dim:(i%nq+1)*c.dim], nprobe, &s, out)
				scored += s.Scored
			}
			b.ReportMetric(float64(scored)/float64(b.N), "scored/op")
		})
		b.Run(fmt.Sprintf("K=%d/nprobe=%d/exhaustive", k, nprobe), func(b *testing.B) {
			scores := make([]float32, k)
			top := neighborhoods.NewTopK(nprobe)
			var hits []neighborhoods.Hit
			for i := 0; b.Loop(); i++ {
				// Cosine would add one multiply per centroid (inverse norms).
				neighborhoods.SquaredL2Batch(c.queries[(i%nq)*c.dim:(i%nq+1)*c.dim], c.cents, scores)
				top.Reset(nprobe)
				for j, s := range scores {
					if s < top.Worst() {
						top.Push(neighborhoods.Hit{Score: s, Row: int32(j)})
					}
				}
				hits = top.Sorted(hits[:0])
			}
		})
	}
}

// BenchmarkCentroidTreeBuild measures NewCentroidTree on synthetic 128-d tables (all cores).
func BenchmarkCentroidTreeBuild(b *testing.B) {
	for _, k := range []int{16384, 65536} {
		c := syntheticTable(b, k, 128, 1, neighborhoods.Euclidean)
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			for b.Loop() {
				buildTree(b, c, neighborhoods.TreeOptions{Seed: 1})
			}
		})
	}
}
