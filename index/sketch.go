package index

import (
	"slices"
	"sync"

	"github.com/vectorbucket/vectorbucket/index/filter"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// Sketches: for 256 dimensions and more, a projection derived from the
// centroid table (neighborhoods.NewProjection) maps every vector to a
// 64-float sketch whose squared L2 distance to the query's sketch is a lower
// bound of the true score. A query bounds every probed row from the sketches
// (64 floats instead of the full vector) and scores in full only:
//
//   - unfiltered, probing fewer than all neighborhoods: the
//     neighborhoods.RerankDepth(k) rows with the smallest bounds (an
//     approximate re-rank; on Fashion-MNIST it reads ~100 full vectors instead
//     of ~1,000–2,000 and recall at a given nprobe barely moves);
//   - filtered, or probing every neighborhood: those rows first, then every
//     row whose bound does not rule it out of the top-k: the same results as
//     scoring every row (exact pruning).
//
// Exact mode does not use sketches, so it stays bit-for-bit brute force.
// Sketches are computed once per cached segment and projection.

// sketchSlack keeps float32 rounding from turning a lower bound into an
// overestimate (the same margin neighborhoods.ScanSegmentSketched uses).
const sketchSlack = 1.0001

// projEntry is one centroid table's projection, derived once.
type projEntry struct {
	done chan struct{}
	p    *neighborhoods.Projection
}

// projection returns the sketch projection of the centroid table stored as
// key (cents, dim-wide rows), or nil when sketches do not pay off for it. The
// projection is a pure function of the table, and tables are immutable per
// object key, so it is derived once per key.
func (c *centroidCache) projection(key string, cents []float32, dim int) *neighborhoods.Projection {
	c.mu.Lock()
	e, ok := c.projs[key]
	if !ok {
		e = &projEntry{done: make(chan struct{})}
		if _, cached := c.entries[key]; cached {
			c.projs[key] = e
		}
	}
	c.mu.Unlock()
	if ok {
		<-e.done
		return e.p
	}
	e.p = neighborhoods.NewProjection(cents, dim)
	close(e.done)
	return e.p
}

// segSketch is a segment's row sketches under one projection.
type segSketch struct {
	proj *neighborhoods.Projection
	vals []float32 // Len() × proj.R()
}

// sketches returns the sketches of s's rows under p, computing them on first
// use with p (a segment may outlive a centroid table: a new table recomputes
// them).
func (s *segment) sketches(p *neighborhoods.Projection, metric neighborhoods.Metric) []float32 {
	if cur := s.sketch.Load(); cur != nil && cur.proj == p {
		return cur.vals
	}
	r := p.R()
	vals := make([]float32, s.Len()*r)
	for i := range s.Len() {
		p.Apply(vals[i*r:(i+1)*r:(i+1)*r], s.Vector(i), metric)
	}
	if old := s.sketch.Swap(&segSketch{proj: p, vals: vals}); old != nil {
		s.charge(int64(4 * (len(vals) - len(old.vals))))
	} else {
		s.charge(int64(4 * len(vals)))
	}
	return vals
}

// querySketch is what a query needs to prune with sketches.
type querySketch struct {
	proj *neighborhoods.Projection
	q    []float32 // the query's sketch
	half bool      // cosine: 1−cos = ‖x̂−q̂‖²/2
}

// newQuerySketch returns the query's sketch under p (nil p or dot product:
// no pruning).
func newQuerySketch(p *neighborhoods.Projection, metric neighborhoods.Metric, q []float32) *querySketch {
	if p == nil || metric == neighborhoods.DotProduct {
		return nil // sketches bound L2 and cosine scores only
	}
	return &querySketch{proj: p, q: p.Apply(nil, q, metric), half: metric == neighborhoods.Cosine}
}

// bound is the lower bound of the score of the row whose sketch is sk.
func (qs *querySketch) bound(sk []float32) float32 {
	lb := neighborhoods.SquaredL2(qs.q, sk)
	if qs.half {
		lb /= 2
	}
	return lb
}

// sketchScratch is a query's reusable buffers for scanSketched.
type sketchScratch struct {
	lbs  []float32 // per row of the batch: its bound, or lbDone / lbSkip
	seed []seedRow // max-heap by bound: the rows with the smallest bounds
}

type seedRow struct {
	lb  float32
	pos int32 // index into lbs
}

const (
	lbDone = -1 // scored in the seeding pass
	lbSkip = -2 // filtered out
)

var sketchScratchPool = sync.Pool{New: func() any { return new(sketchScratch) }}

// scanSketched is scanSegment over a batch of neighborhoods with sketch
// pruning, best first. It bounds every row of the batch from its sketch and
// scores the depth rows with the smallest bounds. With exact set it then
// passes over the batch in storage order scoring every other row whose bound
// does not rule it out of top, so the results are those of scanSegment;
// without, those candidates are all it scores (approximate: the re-rank of
// neighborhoods.RerankDepth candidates). Rows that a newer WAL entry shadows
// are never candidates.
func (ix *Index) scanSketched(segs []*segment, v *view, sc *scorer, qsk *querySketch, flt *filter.Filter, top *topK, depth int, exact bool, stats *QueryStats) (matched, considered int) {
	total := 0
	for _, s := range segs {
		total += s.Len()
	}
	scr := sketchScratchPool.Get().(*sketchScratch)
	defer sketchScratchPool.Put(scr)
	lbs := slices.Grow(scr.lbs[:0], total)[:total]
	scr.lbs = lbs
	seed := scr.seed[:0]
	r := qsk.proj.R()
	// Pass 1: filter and bound every row; keep the depth smallest bounds.
	pos := 0
	for _, s := range segs {
		sks := s.sketches(qsk.proj, sc.metric)
		n := s.Len()
		considered += n
		for i := 0; i < n; i, pos = i+1, pos+1 {
			if flt != nil {
				stats.FilterEvaluated++
				if !flt.Match(s.metadata(i)) {
					lbs[pos] = lbSkip
					continue
				}
			}
			matched++
			if len(v.walLatest) > 0 {
				if _, newer := v.walLatest[s.Key(i)]; newer {
					lbs[pos] = lbSkip
					continue
				}
			}
			lb := qsk.bound(sks[i*r : (i+1)*r : (i+1)*r])
			lbs[pos] = lb
			if len(seed) < depth {
				seed = append(seed, seedRow{lb, int32(pos)})
				siftUpSeed(seed)
			} else if lb < seed[0].lb {
				seed[0] = seedRow{lb, int32(pos)}
				siftDownSeed(seed)
			}
		}
	}
	scr.seed = seed
	// Pass 2: score the seeds. Rows are found by walking segs (few of them).
	for _, sr := range seed {
		p := int(sr.pos)
		for _, s := range segs {
			if p < s.Len() {
				ix.offer(s, p, sc, top, stats)
				break
			}
			p -= s.Len()
		}
		lbs[sr.pos] = lbDone
	}
	if !exact {
		return matched, considered
	}
	// Pass 3: every other row that the bound does not rule out.
	pos = 0
	for _, s := range segs {
		n := s.Len()
		for i := 0; i < n; i, pos = i+1, pos+1 {
			lb := lbs[pos]
			if lb < 0 || (top.full() && lb > top.h[0].score*sketchSlack) {
				continue
			}
			ix.offer(s, i, sc, top, stats)
		}
	}
	return matched, considered
}

// offer scores row i of s fully and pushes it (pass 1 dropped rows that a
// newer WAL entry shadows).
func (ix *Index) offer(s *segment, i int, sc *scorer, top *topK, stats *QueryStats) {
	dim := s.Dim()
	score := sc.score(s.Vectors()[i*dim:(i+1)*dim:(i+1)*dim], s.Norms()[i])
	stats.VectorsScored++
	if top.admits(score) {
		top.push(hit{score, s, int32(i)})
	}
}

func siftUpSeed(h []seedRow) {
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[i].lb <= h[p].lb {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDownSeed(h []seedRow) {
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].lb > h[m].lb {
			m = l
		}
		if r < len(h) && h[r].lb > h[m].lb {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
