package index

import (
	"sync"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
	"github.com/vectorbucket/vectorbucket/neighborhoods/rabitq"
)

// Quantized scans. Every cached neighborhood gets 1-bit RaBitQ codes
// (neighborhoods/rabitq) relative to its own mean, built in RAM the first
// time a query probes it (as sketches are, see sketch.go). An unfiltered,
// approximate query estimates the distance to every row of a probed
// neighborhood from the codes (24-32 bytes per vector instead of 4·dim) and
// computes the exact float32 distance only for rows whose lower error bound
// beats the current k-th best: the answer is still ranked by exact distances.

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
	once  sync.Once
	codes *rabitq.Codes
}

// quantCodes returns the RaBitQ codes of s's rows, building them once.
func (s *segment) quantCodes(metric neighborhoods.Metric) *rabitq.Codes {
	s.quant.once.Do(func() {
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
		if c, err := rabitq.Decode(b); err == nil {
			s.quant.codes = c
		}
	})
	return s.quant.codes
}

// quantScan is the per-query state of quantized scans.
type quantScan struct {
	q          *rabitq.Query
	est, lower []float32
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

// scanQuantized scores one neighborhood through its codes: exact distances
// only for rows whose estimated lower bound beats the k-th best so far. It
// returns false when s has no codes (the caller scans it exactly).
func (ix *Index) scanQuantized(s *segment, v *view, sc *scorer, qs *quantScan, top *topK, stats *QueryStats) bool {
	codes := s.quantCodes(sc.metric)
	if codes == nil || qs.q.Prepare(codes) != nil {
		return false
	}
	n := codes.Len()
	if cap(qs.est) < n {
		qs.est, qs.lower = make([]float32, n), make([]float32, n)
	}
	est, lower := qs.est[:n], qs.lower[:n]
	qs.q.EstimateBounds(est, lower)
	stats.CodesScanned += n
	dim := s.Dim()
	vecs, norms := s.Vectors(), s.Norms()
	for r := range n {
		if top.full() && lower[r] > top.h[0].score {
			continue
		}
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
	return true
}
