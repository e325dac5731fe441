//go:build !purego

package rabitq

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveAVX512 selects the AVX-512 kernel (kernel_amd64.s: VPOPCNTQ on word k
// of 8 codes at once, the estimate and bound in 8 float32 lanes) at start-up.
// Tests turn it off to check the portable kernel.
var haveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VPOPCNTDQ

// haveAVX2 selects the AVX2 Walsh–Hadamard butterflies.
var haveAVX2 = cpu.X86.HasAVX2

//go:noescape
func butterflyAVX2(x unsafe.Pointer, n, h int)

// butterflies runs the levels h ≥ 8 of the transform of x (length a power of
// two ≥ 16) with AVX2 and reports whether it did.
func butterflies(x []float32) bool {
	if !haveAVX2 || len(x) < 16 {
		return false
	}
	for h := 8; h < len(x); h *= 2 {
		butterflyAVX2(unsafe.Pointer(&x[0]), len(x), h)
	}
	return true
}

//go:noescape
func estimateAVX512(codes, planes unsafe.Pointer, w, blocks int, base, rescale, errf, pop, k, est, lower unsafe.Pointer)

// estimateAsm runs the assembly kernel over the whole blocks of est and
// returns how many codes it did (0 without it).
func estimateAsm(q *Query, c *Codes, est, lower []float32) int {
	n := len(est)
	blocks := n / codeBlock
	if !haveAVX512 || blocks == 0 {
		return 0
	}
	w := c.words
	_ = c.codes[blocks*codeBlock*w-1]
	_ = q.planes[w*queryBits-1]
	_, _, _, _ = c.base[n-1], c.rescale[n-1], c.errf[n-1], c.pop[n-1]
	k := [8]float32{q.q0, q.a, q.b, q.c, q.bound, q.qerr}
	var lo unsafe.Pointer
	if lower != nil {
		_ = lower[n-1]
		lo = unsafe.Pointer(&lower[0])
	}
	estimateAVX512(unsafe.Pointer(&c.codes[0]), unsafe.Pointer(&q.planes[0]), w, blocks,
		unsafe.Pointer(&c.base[0]), unsafe.Pointer(&c.rescale[0]), unsafe.Pointer(&c.errf[0]),
		unsafe.Pointer(&c.pop[0]), unsafe.Pointer(&k), unsafe.Pointer(&est[0]), lo)
	return blocks * codeBlock
}
