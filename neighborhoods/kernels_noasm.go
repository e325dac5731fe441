//go:build !amd64 || purego

package neighborhoods

// haveBlockedAVX2 is false off amd64 (or with -tags purego): the batch
// kernels make one call per row.
const haveBlockedAVX2 = false

func block4(l2 bool, q, rows []float32, dim, n8 int, out *[4]float32) {
	panic("neighborhoods: block4 without the assembly kernels")
}

// Prefetch hints the cache lines of v into the CPU cache; without the
// assembly kernels it does nothing.
func Prefetch(v []float32) {}

// PrefetchBytes is Prefetch for bytes; without the assembly kernels it does
// nothing.
func PrefetchBytes(b []byte) {}

// haveAVX512 is false without the assembly kernels.
var haveAVX512 = false

// FirstBelow returns the index of the first value of x that is less than t
// (NaN never is), or len(x) when none is.
func FirstBelow(x []float32, t float32) int { return firstBelowFrom(x, t, 0) }
