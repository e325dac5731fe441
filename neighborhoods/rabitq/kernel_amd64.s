//go:build !purego

#include "textflag.h"

// func estimateAVX512(codes, planes unsafe.Pointer, w, blocks int, base, rescale, errf, pop, k, est, lower unsafe.Pointer)
//
// For each of blocks blocks of 8 codes (word k of the 8 codes is 64 contiguous
// bytes, see the package documentation), with k = {q0, a, b, c, bound, qerr}:
//   ip    = Σ_words Σ_j 2^j·popcount(word AND plane_j)     (8 × int64 lanes)
//   est   = base + q0 + rescale·(a·ip + b·pop + c)          (8 × float32)
//   lower = est − √((errf·bound)² + (rescale·qerr)²)        (skipped when lower is nil)
TEXT ·estimateAVX512(SB), NOSPLIT, $0-88
	MOVQ codes+0(FP), SI
	MOVQ planes+8(FP), DI
	MOVQ w+16(FP), R8
	MOVQ blocks+24(FP), R9
	MOVQ base+32(FP), R10
	MOVQ rescale+40(FP), R11
	MOVQ errf+48(FP), R12
	MOVQ pop+56(FP), R13
	MOVQ k+64(FP), AX
	MOVQ est+72(FP), R14
	MOVQ lower+80(FP), R15
	VBROADCASTSS 0(AX), Y10
	VBROADCASTSS 4(AX), Y11
	VBROADCASTSS 8(AX), Y12
	VBROADCASTSS 12(AX), Y13
	VBROADCASTSS 16(AX), Y14
	VBROADCASTSS 20(AX), Y15

block:
	TESTQ  R9, R9
	JZ     done
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	MOVQ   DI, BX
	MOVQ   R8, CX

word:
	VMOVDQU64   (SI), Z4
	VPANDQ.BCST 0(BX), Z4, Z5
	VPOPCNTQ    Z5, Z5
	VPADDQ      Z5, Z0, Z0
	VPANDQ.BCST 8(BX), Z4, Z6
	VPOPCNTQ    Z6, Z6
	VPADDQ      Z6, Z1, Z1
	VPANDQ.BCST 16(BX), Z4, Z7
	VPOPCNTQ    Z7, Z7
	VPADDQ      Z7, Z2, Z2
	VPANDQ.BCST 24(BX), Z4, Z8
	VPOPCNTQ    Z8, Z8
	VPADDQ      Z8, Z3, Z3
	ADDQ        $64, SI
	ADDQ        $32, BX
	DECQ        CX
	JNZ         word

	VPSLLQ      $1, Z1, Z1
	VPSLLQ      $2, Z2, Z2
	VPSLLQ      $3, Z3, Z3
	VPADDQ      Z1, Z0, Z0
	VPADDQ      Z3, Z2, Z2
	VPADDQ      Z2, Z0, Z0
	VCVTQQ2PS   Z0, Y0
	VPMOVZXWD   (R13), Y1
	VCVTDQ2PS   Y1, Y1
	VFMADD213PS Y13, Y11, Y0
	VFMADD231PS Y1, Y12, Y0
	VMOVUPS     (R10), Y2
	VADDPS      Y10, Y2, Y2
	VMOVUPS     (R11), Y3
	VFMADD231PS Y0, Y3, Y2
	VMOVUPS     Y2, (R14)
	TESTQ       R15, R15
	JZ          next
	VMULPS      (R12), Y14, Y4
	VMULPS      Y3, Y15, Y5
	VMULPS      Y4, Y4, Y4
	VFMADD231PS Y5, Y5, Y4
	VSQRTPS     Y4, Y4
	VSUBPS      Y4, Y2, Y2
	VMOVUPS     Y2, (R15)
	ADDQ        $32, R15

next:
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $16, R13
	ADDQ $32, R14
	DECQ R9
	JMP  block

done:
	VZEROUPPER
	RET

// func butterflyAVX2(x unsafe.Pointer, n, h int)
// One level of the Walsh–Hadamard transform of x[0:n] with stride h (a
// multiple of 8, 2h dividing n): for every pair (a, b) = (x[i+j], x[i+h+j]),
// i a multiple of 2h, j < h: a, b = a+b, a−b, 8 lanes at a time.
TEXT ·butterflyAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ h+16(FP), DX
	SHLQ $2, CX
	SHLQ $2, DX
	LEAQ (SI)(CX*1), CX

bfblock:
	CMPQ SI, CX
	JGE  bfdone
	LEAQ (SI)(DX*1), DI
	MOVQ SI, AX

bflane:
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(DX*1), Y1
	VADDPS  Y1, Y0, Y2
	VSUBPS  Y1, Y0, Y3
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, (AX)(DX*1)
	ADDQ    $32, AX
	CMPQ    AX, DI
	JLT     bflane
	LEAQ    (DI)(DX*1), SI
	JMP     bfblock

bfdone:
	VZEROUPPER
	RET
