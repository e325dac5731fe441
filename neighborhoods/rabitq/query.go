package rabitq

import (
	"fmt"
	"math"
)

// DefaultEpsilon is the paper's ε0: the width of the error bound in standard deviations of
// the estimator (1.9 gives ≈ 94% two-sided coverage, ≈ 97% for the lower end alone).
const DefaultEpsilon = 1.9

// queryBits is the number of bits of each quantized query coordinate.
const queryBits = 4

// Query is a query vector prepared for estimating its distances to codes. Rotate it once with
// SetVector, then for each neighborhood call Prepare and Estimate or EstimateBounds. It reuses
// its buffers: none of these methods allocates. A Query is not safe for concurrent use.
type Query struct {
	rot    *Rotation
	metric Metric
	eps    float64
	rq     []float32 // rotated query, padded
	r      []float32 // scratch: the normalized query
	qbar   []uint8   // quantized rotated query, one value per coordinate
	planes []uint64  // bit planes, interleaved: planes[w*queryBits+j] is bit j of word w
	hasVec bool

	codes *Codes // the codes Prepare was called with
	// est_i = base_i + q0 + rescale_i·(a·⟨code_i, q̄⟩ + b·pop_i + c);
	// lower_i = est_i − √((errf_i·bound)² + (rescale_i·qerr)²)
	a, b, c   float32 // set by SetVector
	qerr      float32 // set by SetVector: the widening of the bound for the query's rounding
	q0, bound float32 // set by Prepare
	qn        float32 // ‖q−c‖
}

// NewQuery returns a Query for codes made with rot and metric.
func NewQuery(rot *Rotation, metric Metric) (*Query, error) {
	if rot == nil || (metric != Euclidean && metric != Cosine) {
		return nil, fmt.Errorf("rabitq: query: rotation %v, metric %d: %w", rot != nil, metric, ErrInvalidInput)
	}
	p := rot.padded
	return &Query{
		rot: rot, metric: metric, eps: DefaultEpsilon,
		rq: make([]float32, p), r: make([]float32, p), qbar: make([]uint8, p),
		planes: make([]uint64, p/64*queryBits),
	}, nil
}

// SetEpsilon sets ε0 of the error bound of EstimateBounds (default DefaultEpsilon); it applies
// from the next SetVector.
func (q *Query) SetEpsilon(eps float64) { q.eps = eps }

// SetVector rotates v (Dim() values; normalized first for Cosine) and quantizes it, once for
// every neighborhood. It does not keep v.
func (q *Query) SetVector(v []float32) error {
	if len(v) != q.rot.dim {
		return fmt.Errorf("rabitq: query of dimension %d for dimension %d: %w", len(v), q.rot.dim, ErrMismatch)
	}
	if q.metric == Cosine {
		// normalize into r (scratch) so v is not modified
		r := q.r[:len(v)]
		copy(r, v)
		normalize(r)
		q.rot.Apply(q.rq, r)
	} else {
		q.rot.Apply(q.rq, v)
	}
	q.quantize()
	q.hasVec = true
	q.codes = nil
	return nil
}

// quantize quantizes the rotated query to 4-bit bit planes and sets the
// terms a, b and c of the estimate, once for every neighborhood.
func (q *Query) quantize() {
	p := q.rot.padded
	g := q.rq[:p]
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range g {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	const levels = 1<<queryBits - 1
	delta := float64(hi-lo) / levels
	var inv float32
	if delta > 0 {
		inv = float32(1 / delta)
	}
	sum := 0
	for w := range p / 64 {
		seg := g[w*64 : w*64+64 : w*64+64]
		qb := q.qbar[w*64 : w*64+64 : w*64+64]
		var b0, b1, b2, b3 uint64
		for k, d := range seg {
			v := min(int((d-lo)*inv+0.5), levels) // d ≥ lo: rounds to nearest
			qb[k] = uint8(v)
			sum += v
			u := uint64(v)
			b0 |= (u & 1) << k
			b1 |= (u >> 1 & 1) << k
			b2 |= (u >> 2 & 1) << k
			b3 |= (u >> 3) << k
		}
		pl := q.planes[w*queryBits : w*queryBits+queryBits : w*queryBits+queryBits]
		pl[0], pl[1], pl[2], pl[3] = b0, b1, b2, b3
	}
	// ⟨x̄, g⟩ = (2Δ·⟨code,q̄⟩ + 2lo·pop − Δ·Σq̄ − p·lo)/√p, and with ⟨x̄, r⟩ = ⟨x̄, g⟩ − ⟨x̄, P·c⟩
	// est = scale·(‖o−c‖² + ‖q−c‖² − 2‖o−c‖·⟨x̄,r⟩/⟨ō,o⟩) = base + q0 + rescale·(a·ip + b·pop + c),
	// with scale folded into base and rescale.
	sqrtP := math.Sqrt(float64(p))
	q.a = float32(-4 * delta / sqrtP)
	q.b = float32(-4 * float64(lo) / sqrtP)
	q.c = float32(2 * (delta*float64(sum) + float64(p)*float64(lo)) / sqrtP)
	// The rounding error e of q̄ (uniform in ±Δ/2 per coordinate) moves ⟨x̄, g⟩ by ⟨x̄, e⟩,
	// about normal with deviation Δ/√12, and the estimate by 2·rescale times that: the lower
	// bound widens by ε0 such deviations (negligible when ‖q‖ is near ‖q−c‖, as for unit
	// vectors; it keeps the bound's coverage where the data lie far from the origin).
	q.qerr = float32(2 * q.eps * delta / math.Sqrt(12))
}

// Prepare readies the query for the codes of one neighborhood: it computes ‖q−c‖ (the
// quantized query is shared by every neighborhood, see SetVector). It fails with ErrMismatch
// when c was made with another dimension, seed, number of rounds or metric, or before
// SetVector.
func (q *Query) Prepare(c *Codes) error {
	if !q.hasVec || c.dim != q.rot.dim || c.seed != q.rot.seed || c.rounds != len(q.rot.signs) || c.metric != q.metric {
		return fmt.Errorf("rabitq: prepare: codes dim %d seed %d rounds %d metric %d, query dim %d seed %d rounds %d metric %d (vector set: %v): %w",
			c.dim, c.seed, c.rounds, c.metric, q.rot.dim, q.rot.seed, len(q.rot.signs), q.metric, q.hasVec, ErrMismatch)
	}
	p := q.rot.padded
	rq, rc := q.rq[:p], c.rotCent[:p]
	var s0, s1, s2, s3 float32
	for i := 0; i < p; i += 4 { // p is a multiple of 64
		d0, d1, d2, d3 := rq[i]-rc[i], rq[i+1]-rc[i+1], rq[i+2]-rc[i+2], rq[i+3]-rc[i+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	nn := float64(s0 + s1 + s2 + s3)
	scale := 1.0
	if q.metric == Cosine {
		scale = 0.5
	}
	q.codes = c
	q.qn = float32(math.Sqrt(nn))
	q.q0 = float32(scale * nn)
	q.bound = float32(2 * math.Sqrt(nn) * q.eps / math.Sqrt(float64(p-1)))
	return nil
}

// QueryNorm is ‖q−c‖ for the codes of the last Prepare (in the rotated, for Cosine unit, space).
func (q *Query) QueryNorm() float32 { return q.qn }

// Estimate writes the estimated distance (squared L2, or 1−cos) of the query to each code of
// the prepared neighborhood into out[:Len()]. It panics when out is shorter or Prepare was not
// called. It does not allocate.
func (q *Query) Estimate(out []float32) {
	estimate(q, q.codes, out[:q.codes.n], nil)
}

// EstimateBounds writes the estimates, as Estimate does, into est and the lower ends of the
// error bound into lower: with probability about 97% (for ε0 = DefaultEpsilon) the true
// distance is ≥ lower[i] (and ≤ 2·est[i] − lower[i]). The bound is the estimator's, widened
// in quadrature by the rounding of the quantized query. It does not allocate.
func (q *Query) EstimateBounds(est, lower []float32) {
	n := q.codes.n
	estimate(q, q.codes, est[:n], lower[:n])
}

// EstimateRef is the plain reference of Estimate: it unpacks every bit and quantized query
// coordinate and computes the same formula in float64. Tests check the kernel against it.
func (q *Query) EstimateRef(out []float32) {
	c := q.codes
	p := c.padded
	var code []uint64
	for i := range c.n {
		code = c.Code(i, code)
		ip, pop := 0, 0
		for k := range p {
			if code[k>>6]>>(k&63)&1 != 0 {
				ip += int(q.qbar[k])
				pop++
			}
		}
		v := float64(c.base[i]) + float64(q.q0) +
			float64(c.rescale[i])*(float64(q.a)*float64(ip)+float64(q.b)*float64(pop)+float64(q.c))
		out[i] = float32(v)
	}
}
