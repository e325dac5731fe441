package rabitq

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// DefaultRounds is the number of sign-flip + Walsh–Hadamard rounds of a [Rotation].
const DefaultRounds = 3

// MaxDim is the largest vector dimension supported (the padded dimension must fit a uint16
// popcount).
const MaxDim = 16384

// Rotation is a seeded random orthogonal transform of dimension Padded(dim): zero-pad, then
// Rounds times (random ±1 sign flips, normalized fast Walsh–Hadamard transform of the first H
// coordinates, and of the last H when the padded dimension is not a power of two). It is
// deterministic for (dim, seed, rounds) and safe for concurrent use.
type Rotation struct {
	dim, padded, half int
	seed              uint64
	signs             [][]float32 // rounds × padded, ±1
}

// Padded is dim rounded up to a multiple of 64: the dimension of rotated vectors and the
// number of bits of a code.
func Padded(dim int) int { return (dim + 63) &^ 63 }

// NewRotation returns the rotation for vectors of dimension dim (1..MaxDim) with the given
// seed and number of rounds (1..8; 0 means DefaultRounds).
func NewRotation(dim int, seed uint64, rounds int) (*Rotation, error) {
	if rounds == 0 {
		rounds = DefaultRounds
	}
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("rabitq: dimension %d: %w", dim, ErrInvalidInput)
	}
	if rounds < 1 || rounds > 8 {
		return nil, fmt.Errorf("rabitq: %d rotation rounds: %w", rounds, ErrInvalidInput)
	}
	p := Padded(dim)
	r := &Rotation{dim: dim, padded: p, half: 1 << (bits.Len(uint(p)) - 1), seed: seed}
	rng := rand.New(rand.NewPCG(seed, 0x7ab17c0de))
	for range rounds {
		s := make([]float32, p)
		for i := range s {
			if rng.Uint64()&1 == 0 {
				s[i] = 1
			} else {
				s[i] = -1
			}
		}
		r.signs = append(r.signs, s)
	}
	return r, nil
}

// Dim is the input dimension.
func (r *Rotation) Dim() int { return r.dim }

// Padded is the output dimension, Padded(Dim()).
func (r *Rotation) Padded() int { return r.padded }

// Seed is the seed the rotation was made from.
func (r *Rotation) Seed() uint64 { return r.seed }

// Rounds is the number of sign-flip + Walsh–Hadamard rounds.
func (r *Rotation) Rounds() int { return len(r.signs) }

// Apply writes the rotation of src (Dim() values) into dst (Padded() values). It does not
// allocate.
func (r *Rotation) Apply(dst, src []float32) {
	dst = dst[:r.padded]
	copy(dst, src[:r.dim])
	clear(dst[r.dim:])
	p, h := r.padded, r.half
	for _, s := range r.signs {
		for i, v := range s {
			dst[i] *= v
		}
		fwht(dst[:h])
		if h != p {
			fwht(dst[p-h:])
		}
	}
}

// fwht is the in-place fast Walsh–Hadamard transform of x (length a power of two), scaled by
// 1/√len(x) so that it is orthogonal.
func fwht(x []float32) {
	n := len(x)
	if n >= 16 {
		wht8(x)              // the levels h < 8, eight values at a time
		if !butterflies(x) { // the levels h ≥ 8 in the assembly kernel, where there is one
			butterfliesGo(x, 8, n)
		}
	} else {
		butterfliesGo(x, 1, n)
	}
	s := float32(1 / math.Sqrt(float64(n)))
	for i := range x {
		x[i] *= s
	}
}

// wht8 runs the levels h = 1, 2, 4 of the transform of x (a multiple of 8
// long): an unscaled 8-point Walsh–Hadamard transform of each block of 8.
func wht8(x []float32) {
	for i := 0; i+8 <= len(x); i += 8 {
		b := (*[8]float32)(x[i : i+8])
		a0, a1 := b[0]+b[1], b[0]-b[1]
		a2, a3 := b[2]+b[3], b[2]-b[3]
		a4, a5 := b[4]+b[5], b[4]-b[5]
		a6, a7 := b[6]+b[7], b[6]-b[7]
		c0, c2 := a0+a2, a0-a2
		c1, c3 := a1+a3, a1-a3
		c4, c6 := a4+a6, a4-a6
		c5, c7 := a5+a7, a5-a7
		b[0], b[4] = c0+c4, c0-c4
		b[1], b[5] = c1+c5, c1-c5
		b[2], b[6] = c2+c6, c2-c6
		b[3], b[7] = c3+c7, c3-c7
	}
}

// butterfliesGo runs the levels from ≤ h < to of the transform of x.
func butterfliesGo(x []float32, from, to int) {
	n := len(x)
	for h := from; h < to; h *= 2 {
		for i := 0; i < n; i += 2 * h {
			a := x[i : i+h : i+h]
			b := x[i+h : i+2*h : i+2*h]
			for j := range a {
				u, v := a[j], b[j]
				a[j], b[j] = u+v, u-v
			}
		}
	}
}
