//go:build !purego

package neighborhoods

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveBlockedAVX2 selects the hand-written AVX2+FMA four-row kernels
// (kernels_amd64.s) at start-up; without them the batch kernels fall back to
// one vek call per row.
var haveBlockedAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// haveAVX512 selects the AVX-512 FirstBelow; tests turn it off to check the
// portable loop.
var haveAVX512 = cpu.X86.HasAVX512F

//go:noescape
func dot4AVX2(q, r unsafe.Pointer, stride, n8 int, out *[4]float32)

//go:noescape
func l24AVX2(q, r unsafe.Pointer, stride, n8 int, out *[4]float32)

// block4 computes the kernel for rows[0:4] over the first n8 dimensions
// (a multiple of 8, > 0) with the assembly kernel.
func block4(l2 bool, q, rows []float32, dim, n8 int, out *[4]float32) {
	_ = rows[4*dim-1]
	_ = q[n8-1]
	if l2 {
		l24AVX2(unsafe.Pointer(&q[0]), unsafe.Pointer(&rows[0]), dim*4, n8, out)
		return
	}
	dot4AVX2(unsafe.Pointer(&q[0]), unsafe.Pointer(&rows[0]), dim*4, n8, out)
}

//go:noescape
func prefetchAMD64(p unsafe.Pointer, n int)

// PrefetchBytes is Prefetch for bytes (e.g. 8-bit codes).
func PrefetchBytes(b []byte) {
	if len(b) > 0 {
		prefetchAMD64(unsafe.Pointer(&b[0]), len(b))
	}
}

// Prefetch hints the cache lines of v into the CPU cache without waiting
// for them: a scan that knows which rows it will score next prefetches a
// few ahead, so that their memory latency overlaps the current row's work
// instead of adding to it. It has no effect on the result.
func Prefetch(v []float32) {
	if len(v) > 0 {
		prefetchAMD64(unsafe.Pointer(&v[0]), len(v)*4)
	}
}

//go:noescape
func firstBelowAVX512(x unsafe.Pointer, n16 int, t float32) int

// FirstBelow returns the index of the first value of x that is less than t
// (NaN never is), or len(x) when none is: a scan that keeps a running
// threshold (the k-th best so far) skips the values that cannot enter 16 at
// a time instead of testing each.
func FirstBelow(x []float32, t float32) int {
	i := 0
	if n16 := len(x) &^ 15; haveAVX512 && n16 > 0 {
		if i = firstBelowAVX512(unsafe.Pointer(&x[0]), n16, t); i < n16 {
			return i
		}
	}
	return firstBelowFrom(x, t, i)
}
