package index

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/neighborhoods/rabitq"
	"github.com/vectorbucket/vectorbucket/neighborhoods/sq8"
)

// Quantized scans. Every cached neighborhood gets 1-bit RaBitQ codes
// (neighborhoods/rabitq) relative to its own mean and 8-bit scalar codes
// (neighborhoods/sq8), built in RAM the first time a query probes it. An
// unfiltered, approximate query
//
//  1. estimates the distance to every row of the probed neighborhoods from
//     the RaBitQ codes (AVX-512 kernel, ~30 bytes per row read
//     sequentially), with a lower error bound;
//  2. scores the k rows of smallest estimate exactly (the seeds), which makes
//     the k-th best nearly final;
//  3. for each row whose RaBitQ lower bound beats the k-th best, bounds its
//     distance exactly from its 8-bit code (the triangle inequality with the
//     stored quantization error; a quarter of the row's bytes), and only if
//     that bound still beats the k-th best computes the float32 distance.
//
// On GloVe at nprobe 48 that is 12,847 codes, ~600 8-bit bounds and ~28
// float32 distances per query instead of ~600 (rows are scattered over
// memory, so each float32 distance is a DRAM miss of 4·dim bytes). The
// answer is ranked by exact distances.

// quantSeed seeds the shared rotation: codes are made in RAM, so any fixed
// seed works and every neighborhood of every index of one dimension shares
// one rotation (a query is rotated once).
const quantSeed = 0x7ec7b0c4e7

var rotations sync.Map // dim → *rabitq.Rotation

func rotationFor(dim int) (*rabitq.Rotation, error) {
	if r, ok := rotations.Load(dim); ok {
		return r.(*rabitq.Rotation), nil
	}
	r, err := rabitq.NewRotation(dim, quantSeed, 0)
	if err != nil {
		return nil, err
	}
	got, _ := rotations.LoadOrStore(dim, r)
	return got.(*rabitq.Rotation), nil
}

// segCodes is a neighborhood's codes (nil when they cannot be made, e.g. a
// segment with tombstones or no rows: the scan then uses the vectors).
type segCodes struct {
	once    sync.Once
	ready   atomic.Bool // the build ran (codes may still be nil)
	started atomic.Bool // a background build was started
	codes   *rabitq.Codes
	sq      *sq8.Codes // 8-bit codes for the refine step
}

// codeBuilders bounds the background code builds (readyCodes) to half the
// CPUs, so that a burst of freshly loaded neighborhoods does not take every
// core from the queries.
var codeBuilders = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// readyCodes returns s's RaBitQ codes when they are built. Otherwise it
// starts building them in the background and returns nil, and the caller
// scans the vectors: building a neighborhood's codes costs about a hundred
// exact scans of it (1.4 ms against ~30 µs for 256 rows at 784-d), which
// pays off over many queries but not inside the cold query that just
// fetched it.
func (s *segment) readyCodes(metric neighborhoods.Metric) *rabitq.Codes {
	if s.quant.ready.Load() {
		return s.quant.codes
	}
	if s.quant.started.CompareAndSwap(false, true) {
		go func() {
			codeBuilders <- struct{}{}
			defer func() { <-codeBuilders }()
			s.quantCodes(metric)
		}()
	}
	return nil
}

// quantCodes returns the RaBitQ codes of s's rows, building them once.
func (s *segment) quantCodes(metric neighborhoods.Metric) *rabitq.Codes {
	s.quant.once.Do(func() {
		defer s.quant.ready.Store(true)
		n, dim := s.Len(), s.Dim()
		if n == 0 {
			return
		}
		for r := range n {
			if s.Deleted(r) {
				return
			}
		}
		rot, err := rotationFor(dim)
		if err != nil {
			return
		}
		vecs := s.Vectors()[:n*dim]
		cent := neighborhoods.Centroid(vecs, dim, metric)
		b, err := rabitq.Encode(cent, vecs, rabitq.EncodeOptions{Metric: rabitq.Metric(metric), Rotation: rot})
		if err != nil {
			return
		}
		c, err := rabitq.Decode(b)
		if err != nil {
			return
		}
		sq, err := sq8.Encode(vecs, dim, metric == neighborhoods.Cosine)
		if err != nil {
			return
		}
		s.quant.codes, s.quant.sq = c, sq
		s.charge(int64(len(b) + sq.Bytes()))
	})
	return s.quant.codes
}

// quantScan is the per-query state of quantized scans.
type quantScan struct {
	q          *rabitq.Query
	est, lower []float32
	segs       []quantSeg // scanQuantizedAll: segments with codes
	seeds      []int32    // scanQuantizedAll: max-heap of seed rows by estimate
	cands      []quantCand
	sq         sq8.Query
}

// quantSeg is a segment of scanQuantizedAll, its codes and the offset of
// its rows in the estimate buffers.
type quantSeg struct {
	s     *segment
	codes *rabitq.Codes
	off   int
}

// newQuantScan prepares the query vector, or returns nil when quantized
// scans do not apply (the caller then scans the vectors).
func (scr *queryScratch) quantScan(metric neighborhoods.Metric, vec []float32) *quantScan {
	rot, err := rotationFor(len(vec))
	if err != nil {
		return nil
	}
	qs := scr.quant
	if qs == nil || qs.q == nil || qs.dim != len(vec) || qs.metric != metric {
		q, err := rabitq.NewQuery(rot, rabitq.Metric(metric))
		if err != nil {
			return nil
		}
		qs = &scratchQuant{quantScan: quantScan{q: q}, dim: len(vec), metric: metric}
		scr.quant = qs
	}
	if qs.q.SetVector(vec) != nil {
		return nil
	}
	return &qs.quantScan
}

// scratchQuant is a quantScan kept in the query scratch for its dimension
// and metric.
type scratchQuant struct {
	quantScan
	dim    int
	metric neighborhoods.Metric
}

// scanQuantizedAll scores the probed neighborhoods segs through their codes
// together, in three steps: the estimates and lower bounds of every row of
// every neighborhood; exact distances for the top.k rows of smallest
// estimate (the seeds), which make the k-th best nearly final at once; then
// exact distances for the remaining rows whose lower bound beats the k-th
// best. Scanning neighborhood by neighborhood instead re-ranks every row of
// the first ones before the k-th best tightens. It returns the segments
// without codes, which the caller scans exactly.
func (ix *Index) scanQuantizedAll(segs []*segment, v *view, sc *scorer, qs *quantScan, top *topK, stats *QueryStats) (rest []*segment) {
	qs.segs = qs.segs[:0]
	total := 0
	for _, s := range segs {
		codes := s.readyCodes(sc.metric)
		if codes == nil || codes.Len() != s.Len() {
			rest = append(rest, s)
			continue
		}
		qs.segs = append(qs.segs, quantSeg{s, codes, total})
		total += codes.Len()
	}
	if cap(qs.est) < total {
		qs.est, qs.lower = make([]float32, total), make([]float32, total)
	}
	est, lower := qs.est[:total], qs.lower[:total]
	live := qs.segs[:0]
	for gi, g := range qs.segs {
		codes := g.codes
		if gi+1 < len(qs.segs) { // the next Prepare reads its rotated centroid
			neighborhoods.Prefetch(qs.segs[gi+1].codes.RotatedCentroid())
		}
		if qs.q.Prepare(codes) != nil {
			rest = append(rest, g.s)
			n := codes.Len()
			for i := g.off; i < g.off+n; i++ {
				est[i], lower[i] = inf32, inf32 // never seeded nor re-ranked here
			}
			continue
		}
		n := codes.Len()
		qs.q.EstimateBounds(est[g.off:g.off+n], lower[g.off:g.off+n])
		stats.CodesScanned += n
		live = append(live, g)
	}
	qs.segs = live
	// Seeds: the top.k smallest estimates (a bounded max-heap of rows).
	// FirstBelow skips, 16 at a time, the estimates that cannot enter.
	h := qs.seeds[:0]
	for i := 0; i < len(est); i++ {
		thr := inf32
		if len(h) == top.k {
			thr = est[h[0]]
		}
		if i += neighborhoods.FirstBelow(est[i:], thr); i == len(est) {
			break
		}
		if len(h) < top.k {
			h = append(h, int32(i))
			siftUpEst(h, est, len(h)-1)
		} else {
			h[0] = int32(i)
			siftDownEst(h, est, 0)
		}
	}
	qs.seeds = h
	for _, i := range h {
		g := qs.segs[segOf(qs.segs, int(i))]
		ix.rerank(g.s, int(i)-g.off, v, sc, top, stats)
		lower[i] = inf32
	}
	// Candidates: the rows whose lower bound beats the k-th best after the
	// seeds. They are re-ranked in row order with the rows a few places
	// ahead prefetched, so that their memory latency (rows are scattered
	// over the probed neighborhoods, rarely in cache) overlaps the current
	// distance instead of adding to it.
	bound := inf32
	if top.full() {
		bound = top.h[0].score
	}
	cands := qs.cands[:0]
	for gi, g := range qs.segs {
		low := lower[g.off : g.off+g.s.Len()]
		for r := 0; r < len(low); r++ {
			if r += neighborhoods.FirstBelow(low[r:], bound); r == len(low) {
				break
			}
			cands = append(cands, quantCand{int32(gi), int32(r), low[r]})
		}
	}
	// Refine: the 8-bit codes bound each candidate's distance exactly
	// (sq8) from a quarter of the bytes of its row, and only the candidates
	// whose bound still beats the k-th best are re-ranked from float32 (at
	// once, so that the k-th best tightens as it goes). Most of the RaBitQ
	// candidates fall out here.
	qs.cands = cands
	qs.sq.SetVector(sc.q)
	half := sc.metric == neighborhoods.Cosine // scores are ½‖q̂−x̂‖² there
	cur := int32(-1)
	var sq *sq8.Codes
	for j, c := range cands {
		if j+rerankAhead < len(cands) {
			// Every segment of qs.segs has its 8-bit codes (quantCodes
			// builds both or neither).
			a := cands[j+rerankAhead]
			sa := qs.segs[a.seg].s.quant.sq
			neighborhoods.PrefetchBytes(sa.Row(int(a.row)))
			if a.seg != c.seg && a.seg != cands[j+rerankAhead-1].seg {
				neighborhoods.Prefetch(sa.Params()) // read by its Prepare
			}
		}
		if top.full() && c.lower > top.h[0].score {
			continue
		}
		if c.seg != cur {
			cur = c.seg
			if sq = qs.segs[c.seg].s.quant.sq; qs.sq.Prepare(sq) != nil {
				sq = nil // re-rank from float32 only
			}
		}
		if sq != nil {
			stats.CodesRefined++
			lb := qs.sq.Lower(int(c.row))
			if half {
				lb /= 2
			}
			if top.full() && lb > top.h[0].score {
				continue
			}
		}
		ix.rerank(qs.segs[c.seg].s, int(c.row), v, sc, top, stats)
	}
	return rest
}

// rerankAhead is how many candidates ahead of the one being re-ranked
// scanQuantizedAll prefetches: enough to cover a DRAM miss with the
// distances in between.
const rerankAhead = 6

// quantCand is a row to re-rank: its segment in quantScan.segs, its row and
// its lower bound.
type quantCand struct {
	seg, row int32
	lower    float32
}

// rerank computes the exact score of row r of s into top, unless a newer
// WAL entry overwrote or deleted it.
func (ix *Index) rerank(s *segment, r int, v *view, sc *scorer, top *topK, stats *QueryStats) {
	dim := s.Dim()
	score := sc.score(s.Vectors()[r*dim:(r+1)*dim:(r+1)*dim], s.Norms()[r])
	stats.VectorsScored++
	if !top.admits(score) {
		return
	}
	if len(v.walLatest) > 0 {
		if _, newer := v.walLatest[s.Key(r)]; newer {
			return
		}
	}
	top.push(hit{score, s, int32(r)})
}

var inf32 = float32(math.Inf(1))

// segOf returns the index of the segment of segs (sorted by offset) that
// holds row i of the estimate buffers.
func segOf(segs []quantSeg, i int) int {
	lo, hi := 0, len(segs)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if segs[mid].off <= i {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func siftUpEst(h []int32, est []float32, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if est[h[p]] >= est[h[i]] {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func siftDownEst(h []int32, est []float32, i int) {
	for {
		l, big := 2*i+1, i
		if l < len(h) && est[h[l]] > est[h[big]] {
			big = l
		}
		if r := l + 1; r < len(h) && est[h[r]] > est[h[big]] {
			big = r
		}
		if big == i {
			return
		}
		h[i], h[big] = h[big], h[i]
		i = big
	}
}
