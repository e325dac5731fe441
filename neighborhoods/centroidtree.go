package neighborhoods

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// A CentroidTree makes choosing the nprobe nearest centroids sub-linear in the number of
// centroids K. It is two levels: the K centroids are clustered (with Partition, balanced k-means)
// into G ≈ TreeGroupFactor·√K groups; a search scores the query against the G group centroids,
// then scans the member centroids of the nearest groups, nearest group first, until it has
// scored enough of them and the next group is far enough (see Search), and selects the nprobe
// nearest among those scored.
//
// Member centroids are stored contiguously in group order, so scanning a group is one blocked
// kernel call (SquaredL2Batch or DotBatch). The result is the same as NearestCentroids with
// ratio 0 — indices into the original table, nearest first, ties by index — whenever the true
// nearest centroids lie in the groups scanned; otherwise some of them are missed (see
// docs/design/centroid-tree.md for the measured overlap).
//
// More levels: the group centroids are themselves a centroid table, so a third level is a
// CentroidTree over them (Search for the nearest groups instead of scoring all G); see the
// design note. A CentroidTree is immutable and safe for concurrent searches.
type CentroidTree struct {
	dim    int
	metric Metric
	opts   TreeOptions

	groups []float32 // G×dim group centroids (unit-normalized for Cosine)
	radius []float32 // DotProduct: max ‖member − group centroid‖ per group
	start  []int32   // G+1 offsets: group g holds member rows start[g]..start[g+1]
	vecs   []float32 // K×dim member centroids in group order
	rows   []int32   // original table index of each member row
	inv    []float32 // Cosine: 1/‖member‖ (0 for a zero row), in group order
}

// TreeOptions tune NewCentroidTree and CentroidTree.Search. Zero values take the defaults.
type TreeOptions struct {
	// Groups is the number of groups G (default TreeGroupFactor·√K, at least 1); balancing
	// may add a few.
	Groups int
	// ScanFactor and ScanFloor: a search scores at least max(ScanFactor·nprobe, ScanFloor)
	// member centroids (defaults DefaultTreeScanFactor, DefaultTreeScanFloor).
	ScanFactor, ScanFloor int
	// Beam: a search scans at least Beam groups (default DefaultTreeBeam).
	Beam int
	// StopRatio: past those minimums, a search stops at the first group whose centroid's score
	// exceeds StopRatio × the nprobe-th best member score so far (default DefaultTreeStopRatio;
	// negative: stop at the minimums). DotProduct ignores it and stops, exactly, at the first
	// group whose bound on its members' scores is no better than the nprobe-th best.
	StopRatio float32
	// Seed makes the build deterministic (same table, same options, same tree).
	Seed int64
	// Workers is the number of build goroutines (default runtime.NumCPU()); it does not change
	// the tree.
	Workers int
}

// Defaults of TreeOptions, chosen by TestCentroidTreeSweep on GloVe-100 and Fashion-MNIST
// centroid tables and a synthetic 64k one (docs/design/centroid-tree.md): the least budget
// with a mean overlap ≥ 0.99 at nprobe 16 and 64 on all of them.
const (
	// TreeGroupFactor: G = TreeGroupFactor·√K groups.
	TreeGroupFactor = 1
	// DefaultTreeScanFactor: score at least this many member centroids per probe.
	DefaultTreeScanFactor = 4
	// DefaultTreeScanFloor: and at least this many in all.
	DefaultTreeScanFloor = 1024
	// DefaultTreeBeam: and scan at least this many groups.
	DefaultTreeBeam = 8
	// DefaultTreeStopRatio: then stop at a group 1.6× farther (in score) than the nprobe-th
	// best member.
	DefaultTreeStopRatio = 1.6
)

func (o TreeOptions) withDefaults(k int) TreeOptions {
	if o.Groups <= 0 {
		o.Groups = max(1, int(math.Round(TreeGroupFactor*math.Sqrt(float64(k)))))
	}
	o.Groups = min(o.Groups, max(k, 1))
	if o.ScanFactor <= 0 {
		o.ScanFactor = DefaultTreeScanFactor
	}
	if o.ScanFloor <= 0 {
		o.ScanFloor = DefaultTreeScanFloor
	}
	if o.Beam <= 0 {
		o.Beam = DefaultTreeBeam
	}
	if o.StopRatio == 0 {
		o.StopRatio = DefaultTreeStopRatio
	}
	return o
}

// NewCentroidTree builds the tree of a centroid table (K rows of dim values, row-major, as
// Partition or DecodeCentroids return it) for metric. It keeps no reference to centroids.
// Grouping is Partition with K = Groups (Cosine: spherical; DotProduct: k-means on the raw
// rows, as for the neighborhoods themselves), deterministic for opts.Seed.
func NewCentroidTree(ctx context.Context, centroids []float32, dim int, metric Metric, opts TreeOptions) (*CentroidTree, error) {
	if dim <= 0 || len(centroids)%dim != 0 {
		return nil, fmt.Errorf("centroid tree: %d values of dimension %d: %w", len(centroids), dim, ErrInvalidInput)
	}
	if !metric.Valid() {
		return nil, fmt.Errorf("centroid tree: metric %v: %w", metric, ErrUnknownMetric)
	}
	k := len(centroids) / dim
	o := opts.withDefaults(k)
	t := &CentroidTree{dim: dim, metric: metric, opts: o, start: []int32{0}}
	if k == 0 {
		return t, nil
	}
	size := max(1, k/o.Groups)
	p, err := Partition(ctx, centroids, dim, metric, PartitionOptions{
		K: o.Groups, TargetSize: size, MaxSize: 4 * size, MinSize: max(1, size/8),
		Seed: o.Seed, Workers: o.Workers,
	})
	if err != nil {
		return nil, fmt.Errorf("centroid tree: %w", err)
	}
	g := p.K()
	t.groups = p.Centroids
	t.vecs = make([]float32, 0, k*dim)
	t.rows = make([]int32, 0, k)
	t.start = make([]int32, 1, g+1)
	for _, m := range p.Members {
		for _, i := range m {
			t.rows = append(t.rows, i)
			t.vecs = append(t.vecs, centroids[int(i)*dim:(int(i)+1)*dim]...)
		}
		t.start = append(t.start, int32(len(t.rows)))
	}
	if metric == Cosine {
		t.inv = make([]float32, k)
		for r := range t.inv {
			t.inv[r] = InvNorm(t.vecs[r*dim : (r+1)*dim])
		}
	}
	if metric == DotProduct {
		t.radius = make([]float32, g)
		for j := 0; j < g; j++ {
			c := t.groups[j*dim : (j+1)*dim]
			var r float32
			for m := t.start[j]; m < t.start[j+1]; m++ {
				r = max(r, SquaredL2(c, t.vecs[int(m)*dim:(int(m)+1)*dim]))
			}
			t.radius[j] = float32(math.Sqrt(float64(r)))
		}
	}
	return t, nil
}

// Tuned returns a tree that shares t's structure and searches with o's ScanFactor, ScanFloor,
// Beam and StopRatio (zero: the defaults); o's build fields are ignored.
func (t *CentroidTree) Tuned(o TreeOptions) *CentroidTree {
	c := *t
	o = o.withDefaults(len(t.rows))
	c.opts.ScanFactor, c.opts.ScanFloor, c.opts.Beam, c.opts.StopRatio = o.ScanFactor, o.ScanFloor, o.Beam, o.StopRatio
	return &c
}

// Len is the number of centroids K.
func (t *CentroidTree) Len() int { return len(t.rows) }

// Groups is the number of groups G.
func (t *CentroidTree) Groups() int { return len(t.start) - 1 }

// Bytes is the memory the tree holds: member copies, group centroids and bookkeeping.
func (t *CentroidTree) Bytes() int64 {
	return 4 * int64(len(t.groups)+len(t.radius)+len(t.start)+len(t.vecs)+len(t.rows)+len(t.inv))
}

// TreeScratch is the working memory of CentroidTree.Search, reused across searches (one per
// goroutine) so that a search allocates nothing once it has grown.
type TreeScratch struct {
	gscores []float32
	gheap   []uint64 // groups by (score, index), a min-heap
	scores  []float32
	best    []uint64 // the nprobe best members by (score, row), a max-heap
	// Scored is the number of member centroids the last Search scored, Visited the groups.
	Scored, Visited int
}

// Search appends to out[:0] the indices (in the original table) of the nprobe centroids nearest
// to q among those it scores, nearest first (ties by index), and returns it. Scores are those of
// NearestCentroids: squared L2, 1 − cos, or −q·c. It scores q against every group centroid,
// then scans groups nearest first (DotProduct: by the upper bound q·g + ‖q‖·radius on their
// members' inner products). Once it has scanned at least Beam groups and scored at least
// max(ScanFactor·nprobe, ScanFloor) member centroids, it stops at the first group whose score
// exceeds StopRatio × the nprobe-th best member score (DotProduct: whose bound cannot beat it).
// nprobe ≥ Len scans every group: exact.
func (t *CentroidTree) Search(q []float32, nprobe int, s *TreeScratch, out []int) []int {
	out = out[:0]
	s.Scored, s.Visited = 0, 0
	k := len(t.rows)
	nprobe = min(nprobe, k)
	if nprobe <= 0 {
		return out
	}
	dim := t.dim
	q = q[:dim]
	g := t.Groups()
	var qinv, qnorm float32
	if t.metric == Cosine {
		qinv = InvNorm(q)
	}
	if t.metric == DotProduct {
		qnorm = float32(math.Sqrt(float64(Dot(q, q))))
	}
	s.gscores = slices.Grow(s.gscores[:0], g)[:g]
	t.score(q, t.groups, s.gscores, qinv, nil)
	if t.metric == DotProduct {
		// The groups' dot scores: -(q·g + ‖q‖·r), an upper bound on their members' q·c.
		for j := range s.gscores {
			s.gscores[j] -= qnorm * t.radius[j]
		}
	}
	h := slices.Grow(s.gheap[:0], g)[:g]
	for j, x := range s.gscores {
		h[j] = orderKey(x, int32(j))
	}
	heapifyMin(h)

	need := max(t.opts.ScanFactor*nprobe, t.opts.ScanFloor)
	if nprobe >= k {
		need = k
	}
	best := slices.Grow(s.best[:0], nprobe)[:0]
	for len(h) > 0 {
		j := int(uint32(h[0]))
		if s.Visited >= t.opts.Beam && s.Scored >= need && t.far(s.gscores[j], best, nprobe) {
			break
		}
		h = popMin(h)
		lo, hi := int(t.start[j]), int(t.start[j+1])
		if lo == hi {
			continue
		}
		s.Visited++
		s.scores = slices.Grow(s.scores[:0], hi-lo)[:hi-lo]
		var inv []float32
		if t.inv != nil {
			inv = t.inv[lo:hi]
		}
		t.score(q, t.vecs[lo*dim:hi*dim], s.scores, qinv, inv)
		s.Scored += hi - lo
		for m, x := range s.scores {
			key := orderKey(x, t.rows[lo+m])
			switch {
			case len(best) < nprobe:
				best = pushMax(best, key)
			case key < best[0]:
				best[0] = key
				siftDownMax(best, 0)
			}
		}
	}
	s.gheap = h[:0]
	slices.Sort(best)
	for _, key := range best {
		out = append(out, int(uint32(key)))
	}
	s.best = best[:0]
	return out
}

// far reports whether a group of score gs is not worth scanning given the best member keys so
// far (a max-heap of nprobe at most).
func (t *CentroidTree) far(gs float32, best []uint64, nprobe int) bool {
	if len(best) < nprobe {
		return false
	}
	worst := keyScore(best[0])
	if t.metric == DotProduct {
		return gs >= worst
	}
	return t.opts.StopRatio < 0 || gs > t.opts.StopRatio*worst
}

// score writes the metric's score of q against each row of rows into out. Cosine uses qinv
// and, for member rows, their inverse norms inv; inv nil means unit rows (group centroids).
func (t *CentroidTree) score(q, rows, out []float32, qinv float32, inv []float32) {
	switch t.metric {
	case Cosine:
		DotBatch(q, rows, out)
		if inv == nil {
			for i, x := range out {
				out[i] = 1 - x*qinv
			}
			return
		}
		for i, x := range out {
			out[i] = cosineScore(x, qinv, inv[i])
		}
	case DotProduct:
		DotBatch(q, rows, out)
		for i, x := range out {
			out[i] = -x
		}
	default:
		SquaredL2Batch(q, rows, out)
	}
}

// orderKey packs a score and an index into one integer whose order is (score, index): the
// float's bits mapped to an order-preserving unsigned integer, then the index.
func orderKey(score float32, idx int32) uint64 {
	b := math.Float32bits(score)
	if b&(1<<31) != 0 {
		b = ^b
	} else {
		b |= 1 << 31
	}
	return uint64(b)<<32 | uint64(uint32(idx))
}

// keyScore is the score orderKey packed into key.
func keyScore(key uint64) float32 {
	b := uint32(key >> 32)
	if b&(1<<31) != 0 {
		b &^= 1 << 31
	} else {
		b = ^b
	}
	return math.Float32frombits(b)
}

func heapifyMin(h []uint64) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDownMin(h, i)
	}
}

func siftDownMin(h []uint64, i int) {
	for {
		l, m := 2*i+1, i
		if l < len(h) && h[l] < h[m] {
			m = l
		}
		if r := l + 1; r < len(h) && h[r] < h[m] {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func popMin(h []uint64) []uint64 {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	siftDownMin(h, 0)
	return h
}

func pushMax(h []uint64, key uint64) []uint64 {
	h = append(h, key)
	for j := len(h) - 1; j > 0; {
		p := (j - 1) / 2
		if h[p] >= h[j] {
			break
		}
		h[p], h[j] = h[j], h[p]
		j = p
	}
	return h
}

func siftDownMax(h []uint64, i int) {
	for {
		l, m := 2*i+1, i
		if l < len(h) && h[l] > h[m] {
			m = l
		}
		if r := l + 1; r < len(h) && h[r] > h[m] {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
