//go:build !purego

#include "textflag.h"

// func l2u8AVX512(qm, scale unsafe.Pointer, u unsafe.Pointer, n16 int) float32
// Σ_k (qm_k − scale_k·u_k)² over n16 (a multiple of 16, > 0) dimensions,
// 16 per step: bytes widened to int32, converted, one FNMADD and one FMA.
TEXT ·l2u8AVX512(SB), NOSPLIT, $0-36
	MOVQ   qm+0(FP), SI
	MOVQ   scale+8(FP), DI
	MOVQ   u+16(FP), DX
	MOVQ   n16+24(FP), CX
	VPXORD Z0, Z0, Z0
	XORQ   AX, AX

l2loop:
	VPMOVZXBD    (DX)(AX*1), Z1
	VCVTDQ2PS    Z1, Z1
	VMOVUPS      (SI)(AX*4), Z2
	VFNMADD231PS (DI)(AX*4), Z1, Z2
	VFMADD231PS  Z2, Z2, Z0
	ADDQ         $16, AX
	CMPQ         AX, CX
	JLT          l2loop

	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS        Y1, Y0, Y0
	VEXTRACTF128  $1, Y0, X1
	VADDPS        X1, X0, X0
	VHADDPS       X0, X0, X0
	VHADDPS       X0, X0, X0
	VZEROUPPER
	MOVSS         X0, ret+32(FP)
	RET
