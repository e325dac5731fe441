// Package sq8 holds 8-bit scalar-quantized copies of the vectors of one
// neighborhood, for the refine step of a quantized scan: between the 1-bit
// RaBitQ estimate (neighborhoods/rabitq), whose error bound leaves hundreds
// of candidates per query, and the exact float32 distance, which reads a
// whole row (4·dim bytes, scattered over memory). A code is one byte per
// dimension: x̂_k = min_k + scale_k·u_k, with min and scale per dimension over
// the neighborhood. Each vector also keeps e = ‖x − x̂‖, so that for any query
// q the triangle inequality bounds the true distance exactly:
//
//	‖q − x̂‖ − e ≤ ‖q − x‖ ≤ ‖q − x̂‖ + e.
//
// The bound is deterministic (no probability, unlike RaBitQ's), and about a
// quarter of the float32 row is read to compute it.
package sq8

import (
	"errors"
	"fmt"
	"math"

	"github.com/vectorbucket/vectorbucket/neighborhoods"
)

// ErrInvalidInput marks arguments Encode cannot work with.
var ErrInvalidInput = errors.New("sq8: invalid input")

// Codes is the 8-bit codes of the rows of one neighborhood. It is
// read-only after Encode and safe for concurrent use.
type Codes struct {
	dim, stride int       // stride: dim rounded up to a multiple of 16 (codes are zero-padded)
	min, scale  []float32 // stride each, adjacent in params; zero beyond dim
	params      []float32 // min then scale
	codes       []uint8   // n·stride
	err         []float32 // n: ‖x − x̂‖, rounded up
	mag         float32   // the largest |value| of any row
}

// Len is the number of codes.
func (c *Codes) Len() int { return len(c.err) }

// Bytes is the memory the codes hold.
func (c *Codes) Bytes() int { return len(c.codes) + 4*len(c.err) + 8*c.stride }

// Encode quantizes the rows of vectors (row-major, dimension dim), each
// unit-normalized first when normalize is set (zero rows stay zero).
func Encode(vectors []float32, dim int, normalize bool) (*Codes, error) {
	if dim <= 0 || len(vectors)%dim != 0 {
		return nil, fmt.Errorf("sq8: encode: %d values of dimension %d: %w", len(vectors), dim, ErrInvalidInput)
	}
	n := len(vectors) / dim
	stride := (dim + 15) &^ 15
	params := make([]float32, 2*stride)
	c := &Codes{dim: dim, stride: stride,
		min: params[:stride:stride], scale: params[stride:], params: params,
		codes: make([]uint8, n*stride), err: make([]float32, n)}
	row := func(i int, buf []float32) []float32 {
		v := vectors[i*dim : (i+1)*dim]
		if !normalize {
			return v
		}
		copy(buf, v)
		neighborhoods.Normalize(buf)
		return buf
	}
	buf := make([]float32, dim)
	lo, hi := c.min[:dim], make([]float32, dim)
	for k := range dim {
		lo[k], hi[k] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for i := range n {
		for k, x := range row(i, buf) {
			lo[k] = min(lo[k], x)
			hi[k] = max(hi[k], x)
		}
	}
	for k := range dim {
		if n == 0 {
			lo[k], hi[k] = 0, 0
		}
		c.mag = max(c.mag, -lo[k], hi[k])
		if hi[k] > lo[k] {
			c.scale[k] = (hi[k] - lo[k]) / 255
		}
	}
	for i := range n {
		u := c.codes[i*stride : i*stride+dim]
		var e float64
		for k, x := range row(i, buf) {
			var q int
			if s := c.scale[k]; s > 0 {
				q = min(255, max(0, int((x-lo[k])/s+0.5)))
			}
			u[k] = uint8(q)
			d := float64(x) - float64(lo[k]+c.scale[k]*float32(q))
			e += d * d
		}
		// Round up so that float32 rounding in the kernels cannot make the
		// bound cross the true distance.
		c.err[i] = float32(math.Sqrt(e)*(1+1e-5)) + 1e-7
	}
	return c, nil
}

// Query is a query prepared for the codes of one neighborhood at a time:
// SetVector once, then Prepare per neighborhood. It is not safe for
// concurrent use; it reuses its buffers.
type Query struct {
	q     []float32 // the query
	mag   float32   // max |q_k|
	c     *Codes
	qm    []float32 // q − min, stride values (zero-padded)
	slack float32   // absolute float32 rounding of ‖q − x̂‖
}

// SetVector sets the query (unit-normalized by the caller for codes that
// Encode normalized). It keeps q until the next SetVector.
func (qq *Query) SetVector(q []float32) {
	var mag float32
	for _, x := range q {
		mag = max(mag, x, -x)
	}
	qq.q, qq.mag, qq.c = q, mag, nil
}

// Prepare readies the query for c.
func (qq *Query) Prepare(c *Codes) error {
	q := qq.q
	if len(q) != c.dim {
		return fmt.Errorf("sq8: query of dimension %d for codes of dimension %d: %w", len(q), c.dim, ErrInvalidInput)
	}
	if cap(qq.qm) < c.stride {
		qq.qm = make([]float32, c.stride)
	}
	qm := qq.qm[:c.stride]
	clear(qm[c.dim:])
	lo := c.min[:len(q)]
	for k, x := range q {
		qm[k] = x - lo[k]
	}
	// Each coordinate of q − x̂ carries a rounding of a few ulps of the
	// values involved; over dim coordinates that is at most this much.
	qq.slack = 4 * 6e-8 * float32(math.Sqrt(float64(c.dim))) * (qq.mag + 2*c.mag)
	qq.qm, qq.c = qm, c
	return nil
}

// Params returns the per-dimension parameters of c (minimums, then scales);
// do not modify them. A caller that knows which codes it will prepare next
// may prefetch them.
func (c *Codes) Params() []float32 { return c.params }

// Distance returns ‖q − x̂_i‖² and e_i = ‖x_i − x̂_i‖ for code i of the
// prepared codes: the true squared distance lies in
// [(max(0, √d − e))², (√d + e)²].
func (qq *Query) Distance(i int) (d, e float32) {
	c := qq.c
	s := c.stride
	return l2u8(qq.qm, c.scale, c.codes[i*s:(i+1)*s:(i+1)*s]), c.err[i]
}

// Lower is the lower end of the bound on the squared distance of code i.
func (qq *Query) Lower(i int) float32 {
	d, e := qq.Distance(i)
	// The 1e-5 covers float32 rounding in q − min and in the kernel's sum.
	r := float32(math.Sqrt(float64(d)))*(1-1e-5) - e - qq.slack
	if r <= 0 {
		return 0
	}
	return r * r
}

// Row returns code i's bytes (stride values, zero beyond the dimension); do
// not modify them. The caller may prefetch them before Distance.
func (c *Codes) Row(i int) []uint8 { return c.codes[i*c.stride : (i+1)*c.stride] }

// l2uRef is the plain reference of the kernel: Σ_k (qm_k − scale_k·u_k)².
func l2uRef(qm, scale []float32, u []uint8) float32 {
	var s0, s1, s2, s3 float32
	for k := 0; k < len(u); k += 4 {
		d0 := qm[k] - scale[k]*float32(u[k])
		d1 := qm[k+1] - scale[k+1]*float32(u[k+1])
		d2 := qm[k+2] - scale[k+2]*float32(u[k+2])
		d3 := qm[k+3] - scale[k+3]*float32(u[k+3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	return s0 + s1 + s2 + s3
}
