//go:build !purego

package sq8

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveAVX512 selects the AVX-512 kernel (16 dimensions per step) at
// start-up; tests turn it off to check the portable one.
var haveAVX512 = cpu.X86.HasAVX512F

//go:noescape
func l2u8AVX512(qm, scale unsafe.Pointer, u unsafe.Pointer, n16 int) float32

func l2u8(qm, scale []float32, u []uint8) float32 {
	if !haveAVX512 {
		return l2uRef(qm, scale, u)
	}
	n := len(u)
	_, _ = qm[n-1], scale[n-1]
	return l2u8AVX512(unsafe.Pointer(&qm[0]), unsafe.Pointer(&scale[0]), unsafe.Pointer(&u[0]), n)
}
