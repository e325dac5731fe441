package index

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/vectorbucket/vectorbucket/index/filter"
	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/objectstore"
)

// QueryRequest is one k-nearest-neighbour query.
type QueryRequest struct {
	// Vector has the index's dimension.
	Vector []float32
	// TopK is 1–10,000.
	TopK int
	// Filter is an S3 Vectors metadata filter document (nil: none).
	Filter json.RawMessage
	// ReturnMetadata includes each result's metadata.
	ReturnMetadata bool
	// NProbe is the number of neighborhoods to probe; 0 picks it from
	// TargetRecall.
	NProbe int
	// TargetRecall (0–1) selects a probe-count preset; 0 means 0.95.
	TargetRecall float64
	// Exact probes every neighborhood: the answer equals brute force.
	Exact bool
	// Snapshot, when set, queries as of the named snapshot instead of the
	// newest generation.
	Snapshot string
}

// QueryResult is one hit, nearest first.
type QueryResult struct {
	Key string
	// Distance is L2 (euclidean) or 1−cos (cosine).
	Distance float32
	Metadata json.RawMessage
}

// QueryStats reports what a query did.
type QueryStats struct {
	NeighborhoodsProbed, NeighborhoodsTotal int
	// VectorsScored counts distance computations (neighborhoods and WAL).
	VectorsScored int
	// WALVectors is the number of live vectors in the WAL tail (all scanned).
	WALVectors int
	// FilterEvaluated counts metadata filter evaluations.
	FilterEvaluated int
	// FilterMatched counts the evaluations that matched (the filter's
	// selectivity is FilterMatched/FilterEvaluated).
	FilterMatched int
	// Objects and bytes read from the store vs served from the cache.
	ObjectsFromStore, ObjectsFromCache int
	BytesFromStore, BytesFromCache     int64
	// Exact is true when every vector was considered.
	Exact bool
	// Prefiltered is true when a selective filter made the query search
	// every matching vector.
	Prefiltered bool
	// CodesScanned counts rows whose distance was estimated from their
	// RaBitQ codes (quantized scans); VectorsScored then counts the exact
	// re-ranks among them.
	CodesScanned int
	// CodesRefined counts the RaBitQ candidates whose distance was then
	// bounded from their 8-bit codes, before the exact re-rank.
	CodesRefined int
	// RoundTrips counts the sequential waves of store requests the query
	// waited for: the generation check (0 inside a read lease), the WAL
	// objects, the centroid table and each wave of neighborhood reads not
	// served from the cache.
	RoundTrips int
	// NProbe is the probe count the planner chose (before a filter widened
	// the search); the number of neighborhoods when exact.
	NProbe int
	// EstimatedRecall is the recall@10 the planner expects for the
	// neighborhoods actually probed (see estimateRecall): 1 for exact and
	// prefiltered queries.
	EstimatedRecall float64
}

// prefilterSelectivity: a filter matching fewer than this fraction of the
// probed vectors makes the query search all matching vectors.
const prefilterSelectivity = 0.2

// probesFor turns a recall target (0: 0.95) into a probe count over the n
// neighborhoods of m: from the calibration of the last full build when there
// is one (asking it for a little more, curveFor, as in-sample calibration queries are
// slightly optimistic), scaled to the current count; otherwise
// neighborhoods.DefaultNProbe, scaled for targets other than 0.95.
func probesFor(target float64, n int, m *manifest) int {
	if target <= 0 {
		target = 0.95
	}
	if target >= 0.999 {
		return n
	}
	if len(m.Calibration) > 0 && m.CalibrationK > 0 {
		c := neighborhoods.Calibration{K: 10, Recall: m.Calibration}
		p := c.NProbeFor(curveFor(target))
		p = (p*n + m.CalibrationK - 1) / m.CalibrationK
		return min(n, max(p, 4))
	}
	base := neighborhoods.DefaultNProbe(n)
	switch {
	case target >= 0.99:
		return min(n, 2*base)
	case target >= 0.95:
		return base
	case target >= 0.9:
		return max(1, (base+1)/2)
	}
	return max(1, base/3)
}

// scorer computes internal scores (smaller is nearer): squared L2, 1−cos
// against stored norms, or −(q·v) for dot product.
type scorer struct {
	metric neighborhoods.Metric
	q      []float32 // normalized for cosine
}

func newScorer(m neighborhoods.Metric, q []float32) scorer {
	return newScorerInto(m, q, nil)
}

// newScorerInto is newScorer with the normalized cosine query written into
// buf (grown as needed) instead of a new slice.
func newScorerInto(m neighborhoods.Metric, q, buf []float32) scorer {
	s := scorer{metric: m, q: q}
	if m == neighborhoods.Cosine {
		inv := neighborhoods.InvNorm(q)
		s.q = slices.Grow(buf[:0], len(q))[:len(q)]
		for i, x := range q {
			s.q[i] = x * inv
		}
	}
	return s
}

func (s *scorer) score(v []float32, norm float32) float32 {
	if s.metric == neighborhoods.DotProduct {
		return neighborhoods.NegDot(s.q, v)
	}
	if s.metric == neighborhoods.Cosine {
		if norm == 0 {
			return 1
		}
		return 1 - neighborhoods.Dot(s.q, v)/norm
	}
	return neighborhoods.SquaredL2(s.q, v)
}

type hit struct {
	score float32
	seg   *segment
	row   int32
}

func (h hit) key() string { return h.seg.Key(int(h.row)) }

// worse orders hits: higher score, then larger key, is worse.
func worse(a, b hit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.key() > b.key()
}

// topK is a bounded max-heap of the best hits so far.
type topK struct {
	k int
	h []hit
}

func (t *topK) full() bool { return len(t.h) == t.k }

// admits reports whether a hit with this score might enter.
func (t *topK) admits(score float32) bool { return len(t.h) < t.k || score <= t.h[0].score }

func (t *topK) push(x hit) {
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(t.h[i], t.h[p]) {
				break
			}
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
		}
		return
	}
	if !worse(t.h[0], x) {
		return
	}
	t.h[0] = x
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.h) && worse(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && worse(t.h[r], t.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// Query returns the TopK vectors nearest to req.Vector that match the
// filter, nearest first, with the latest committed version of every vector.
func (ix *Index) Query(ctx context.Context, req QueryRequest) ([]QueryResult, QueryStats, error) {
	var stats QueryStats
	if req.TopK < 1 || req.TopK > MaxTopK {
		return nil, stats, invalid("topK", "must be 1-%d, got %d", MaxTopK, req.TopK)
	}
	if err := ix.validateVector("queryVector", req.Vector); err != nil {
		return nil, stats, err
	}
	if req.NProbe < 0 || req.TargetRecall < 0 || req.TargetRecall > 1 {
		return nil, stats, invalid("nprobe", "nprobe must be ≥ 0 and target recall 0-1")
	}
	var flt *filter.Filter
	if len(req.Filter) > 0 {
		f, err := filter.Compile(req.Filter, filter.Options{NonFilterable: ix.nonFilterable})
		if err != nil {
			var fe *filter.Error
			if errors.As(err, &fe) {
				return nil, stats, &ValidationError{Field: fe.Path, Message: fe.Msg}
			}
			return nil, stats, invalid("filter", "%v", err)
		}
		if !f.MatchesAll() {
			flt = f
		}
	}
	var res []QueryResult
	var err error
	// A generation can be collected under a slow reader; retry once on a
	// fresh one.
	for attempt := 0; attempt < 3; attempt++ {
		stats = QueryStats{}
		res, err = ix.query(ctx, req, flt, &stats)
		if err == nil || !errors.Is(err, errNotFoundObject) {
			break
		}
	}
	return res, stats, err
}

var errNotFoundObject = errors.New("object vanished")

func (ix *Index) query(ctx context.Context, req QueryRequest, flt *filter.Filter, stats *QueryStats) ([]QueryResult, error) {
	var v *view
	var err error
	if req.Snapshot != "" {
		v, err = ix.readViewAt(ctx, req.Snapshot) // time travel (snapshot.go)
	} else {
		v, err = ix.readViewCounted(ctx, stats)
	}
	if err != nil {
		return nil, err
	}
	var io ioStats
	defer func() {
		stats.ObjectsFromStore, stats.ObjectsFromCache = io.objectsStore, io.objectsCache
		stats.BytesFromStore, stats.BytesFromCache = io.bytesStore, io.bytesCache
	}()
	fromStore := io.objectsStore
	if err := v.loadWAL(ctx, ix, &io); err != nil {
		return nil, wrapVanished(err)
	}
	stats.RoundTrips += waves(io.objectsStore - fromStore)
	scr := getScratch()
	defer scr.put()
	sc := newScorerInto(v.m.Config.Metric, req.Vector, scr.q)
	if v.m.Config.Metric == neighborhoods.Cosine {
		// Keep the buffer the normalized query was written into. Other
		// metrics score req.Vector itself: the caller's memory, which the
		// scratch must never keep (a later cosine query would write into
		// it, under the caller or a concurrent query using it).
		scr.q = sc.q[:0:cap(sc.q)]
	}
	top := &topK{k: req.TopK, h: slices.Grow(scr.hits[:0], min(req.TopK, 1024))}
	defer func() { scr.hits = top.h }()
	matched, considered := 0, 0

	// The WAL tail: exhaustive; v.walLive holds only the newest version of
	// each key.
	stats.WALVectors = len(v.walLive)
	for _, p := range v.walLive {
		s := v.wal[p.seg]
		if flt != nil {
			stats.FilterEvaluated++
			if !flt.Match(s.metadata(int(p.row))) {
				continue
			}
			stats.FilterMatched++
		}
		score := sc.score(s.Vector(int(p.row)), s.Norm(int(p.row)))
		stats.VectorsScored++
		top.push(hit{score, s, p.row})
	}

	n := len(v.m.Neighborhoods)
	stats.NeighborhoodsTotal = n
	if n > 0 {
		fromStore = io.objectsStore
		cents, err := v.loadCentroids(ctx, ix, &io)
		if err != nil {
			return nil, wrapVanished(err)
		}
		stats.RoundTrips += waves(io.objectsStore - fromStore)
		nprobe := n
		if !req.Exact {
			nprobe = req.NProbe
			if nprobe == 0 {
				nprobe = probesFor(req.TargetRecall, n, v.m)
			}
			nprobe = min(nprobe, n)
		}
		stats.NProbe = nprobe
		// Centroids are scored once; only the probed ones are selected and
		// sorted, unless a filter may widen the search to all of them.
		// Large tables of unfiltered approximate queries go through the
		// centroid tree (probe.go), which scores only part of them.
		var order []int
		if flt == nil && nprobe < n {
			if t := ix.db.centroids.tree(v.m.Centroids, cents, v.m.Config.Dimension, v.m.Config.Metric); t != nil {
				order = scr.treeNearest(t, &sc, nprobe)
			}
		}
		if order == nil {
			scr.scoreCentroids(&sc, cents, v.centInv, v.m.Config.Dimension)
			if flt != nil || nprobe == n {
				order = scr.allNearest()
			} else {
				order = scr.selectNearest(nprobe)
			}
		}
		// Unfiltered approximate queries scan quantized codes (quant.go):
		// RaBitQ estimates, 8-bit refinement, exact re-rank of the few left.
		// RaBitQ codes estimate L2 and cosine only: dot product scans the
		// vectors.
		var qs *quantScan
		if !req.Exact && flt == nil && !ix.db.opts.NoQuantize && v.m.Config.Metric != neighborhoods.DotProduct {
			qs = scr.quantScan(v.m.Config.Metric, req.Vector)
		}
		// Otherwise sketches (sketch.go) let the scan skip most full
		// distances (filtered queries and those probing every neighborhood
		// prune exactly with them); exact mode scores everything, as brute
		// force does. On Fashion-MNIST the quantized scan is faster than
		// sketches at equal nprobe and reaches 0.998 where sketches stop at
		// 0.995.
		var qsk *querySketch
		if !req.Exact && (qs == nil || nprobe == n) {
			dim := v.m.Config.Dimension
			qsk = newQuerySketch(ix.db.centroids.projection(v.m.Centroids, cents, dim), v.m.Config.Metric, req.Vector)
		}
		approx := false
		scan := func(which []int, exact bool) error {
			before := io.objectsStore
			segs, err := ix.loadNbhds(ctx, v, which, &io)
			if err != nil {
				return wrapVanished(err)
			}
			stats.RoundTrips += waves(io.objectsStore - before)
			if qsk != nil {
				stats.NeighborhoodsProbed += len(segs)
				depth := req.TopK
				if !exact {
					depth = max(depth, neighborhoods.RerankDepth(req.TopK))
					approx = true
				}
				m, c := ix.scanSketched(segs, v, &sc, qsk, flt, top, depth, exact, stats)
				matched += m
				considered += c
				return nil
			}
			if qs != nil && !exact && flt == nil {
				stats.NeighborhoodsProbed += len(segs)
				rest := ix.scanQuantizedAll(segs, v, &sc, qs, top, stats)
				approx = approx || len(rest) < len(segs)
				for _, s := range rest {
					ix.scanSegment(s, v, &sc, nil, top, stats)
				}
				return nil
			}
			for _, s := range segs {
				stats.NeighborhoodsProbed++
				m, c := ix.scanSegment(s, v, &sc, flt, top, stats)
				matched += m
				considered += c
			}
			return nil
		}
		// Without a filter, the nprobe neighborhoods are re-ranked from
		// sketch candidates (approximate, like probing itself) unless every
		// neighborhood is probed. A filtered query prunes exactly, so that a
		// selective filter still searches every matching vector.
		if err := scan(order[:nprobe], nprobe == n || flt != nil); err != nil {
			return nil, err
		}
		if flt != nil && nprobe < n {
			// Widen: a selective filter searches every matching vector; an
			// unselective one keeps probing until topK matches are found.
			selective := considered == 0 || float64(matched) < prefilterSelectivity*float64(considered)
			if selective || !top.full() {
				stats.Prefiltered = selective
				rest := order[nprobe:]
				for len(rest) > 0 && (selective || !top.full()) {
					step := min(len(rest), max(nprobe, 8))
					if selective {
						step = len(rest)
					}
					if err := scan(rest[:step], true); err != nil {
						return nil, err
					}
					rest = rest[step:]
				}
			}
		}
		stats.Exact = stats.NeighborhoodsProbed == n && !approx
	} else {
		stats.Exact = true
	}
	if flt != nil {
		stats.FilterMatched += matched
	}
	stats.EstimatedRecall = estimateRecall(stats, v.m)

	slices.SortFunc(top.h, func(a, b hit) int {
		if worse(a, b) {
			return 1
		}
		if worse(b, a) {
			return -1
		}
		return 0
	})
	out := make([]QueryResult, len(top.h))
	for i, h := range top.h {
		out[i] = QueryResult{Key: strings.Clone(h.key()), Distance: v.m.Config.Metric.ScoreToDistance(h.score)}
		if req.ReturnMetadata {
			if md := h.seg.Metadata(int(h.row)); md != nil {
				out[i].Metadata = slices.Clone(md)
			}
		}
	}
	return out, nil
}

// scanSegment scores one neighborhood into top, skipping vectors that a
// newer WAL entry overwrote or deleted. It returns how many rows matched the
// filter and how many were considered.
func (ix *Index) scanSegment(s *segment, v *view, sc *scorer, flt *filter.Filter, top *topK, stats *QueryStats) (matched, considered int) {
	dim := s.Dim()
	vecs := s.Vectors()
	norms := s.Norms()
	n := s.Len()
	considered = n
	for r := 0; r < n; r++ {
		if flt != nil {
			stats.FilterEvaluated++
			if !flt.Match(s.metadata(r)) {
				continue
			}
		}
		matched++
		score := sc.score(vecs[r*dim:(r+1)*dim:(r+1)*dim], norms[r])
		stats.VectorsScored++
		if !top.admits(score) {
			continue
		}
		if len(v.walLatest) > 0 {
			if _, newer := v.walLatest[s.Key(r)]; newer {
				continue
			}
		}
		top.push(hit{score, s, int32(r)})
	}
	return matched, considered
}

// nearest orders centroid rows by score to q.
func nearest(m neighborhoods.Metric, q, cents []float32, dim int) []int {
	k := len(cents) / dim
	scores := make([]float32, k)
	for i := range k {
		scores[i] = m.ClusterScore(q, cents[i*dim:(i+1)*dim])
	}
	order := make([]int, k)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return a - b
	})
	return order
}

func wrapVanished(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, objectstore.ErrNotFound) {
		return errors.Join(errNotFoundObject, err)
	}
	return err
}
