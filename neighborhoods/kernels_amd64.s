//go:build !purego

#include "textflag.h"

// func dot4AVX2(q, r unsafe.Pointer, stride, n8 int, out *[4]float32)
// out[i] = Σ_{j<n8} q[j]·r[i*stride/4 + j] for the 4 rows starting at r,
// stride bytes apart; n8 is a multiple of 8 floats.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ r+8(FP), DI
	MOVQ stride+16(FP), DX
	MOVQ n8+24(FP), CX
	MOVQ out+32(FP), BX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	SHLQ $2, CX
	XORQ AX, AX

dotloop:
	CMPQ AX, CX
	JGE  dotdone
	VMOVUPS     (SI)(AX*1), Y4
	VFMADD231PS (DI)(AX*1), Y4, Y0
	VFMADD231PS (R8)(AX*1), Y4, Y1
	VFMADD231PS (R9)(AX*1), Y4, Y2
	VFMADD231PS (R10)(AX*1), Y4, Y3
	ADDQ        $32, AX
	JMP         dotloop

dotdone:
	VEXTRACTF128 $1, Y0, X4
	VADDPS       X4, X0, X0
	VEXTRACTF128 $1, Y1, X5
	VADDPS       X5, X1, X1
	VEXTRACTF128 $1, Y2, X6
	VADDPS       X6, X2, X2
	VEXTRACTF128 $1, Y3, X7
	VADDPS       X7, X3, X3
	VHADDPS      X1, X0, X0
	VHADDPS      X3, X2, X2
	VHADDPS      X2, X0, X0
	VMOVUPS      X0, (BX)
	VZEROUPPER
	RET

// func l24AVX2(q, r unsafe.Pointer, stride, n8 int, out *[4]float32)
// out[i] = Σ_{j<n8} (r[i][j] − q[j])² for 4 rows, as dot4AVX2.
TEXT ·l24AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ r+8(FP), DI
	MOVQ stride+16(FP), DX
	MOVQ n8+24(FP), CX
	MOVQ out+32(FP), BX
	LEAQ (DI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	SHLQ $2, CX
	XORQ AX, AX

l2loop:
	CMPQ AX, CX
	JGE  l2done
	VMOVUPS     (SI)(AX*1), Y4
	VMOVUPS     (DI)(AX*1), Y5
	VMOVUPS     (R8)(AX*1), Y6
	VMOVUPS     (R9)(AX*1), Y7
	VMOVUPS     (R10)(AX*1), Y8
	VSUBPS      Y4, Y5, Y5
	VSUBPS      Y4, Y6, Y6
	VSUBPS      Y4, Y7, Y7
	VSUBPS      Y4, Y8, Y8
	VFMADD231PS Y5, Y5, Y0
	VFMADD231PS Y6, Y6, Y1
	VFMADD231PS Y7, Y7, Y2
	VFMADD231PS Y8, Y8, Y3
	ADDQ        $32, AX
	JMP         l2loop

l2done:
	VEXTRACTF128 $1, Y0, X4
	VADDPS       X4, X0, X0
	VEXTRACTF128 $1, Y1, X5
	VADDPS       X5, X1, X1
	VEXTRACTF128 $1, Y2, X6
	VADDPS       X6, X2, X2
	VEXTRACTF128 $1, Y3, X7
	VADDPS       X7, X3, X3
	VHADDPS      X1, X0, X0
	VHADDPS      X3, X2, X2
	VHADDPS      X2, X0, X0
	VMOVUPS      X0, (BX)
	VZEROUPPER
	RET

// func prefetchAMD64(p unsafe.Pointer, n int)
// Hints the cache lines of the n bytes from p into L1 (PREFETCHT0): one
// instruction per 64-byte line, no loads, no faults.
TEXT ·prefetchAMD64(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	ADDQ SI, CX

prefetchloop:
	CMPQ       SI, CX
	JGE        prefetchdone
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	JMP        prefetchloop

prefetchdone:
	RET

// func firstBelowAVX512(x unsafe.Pointer, n16 int, t float32) int
// The index of the first of x[0:n16] (n16 a multiple of 16) that is < t (an
// ordered compare: NaN never is), or n16: 16 lanes per compare.
TEXT ·firstBelowAVX512(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n16+8(FP), CX
	VBROADCASTSS t+16(FP), Z1
	XORQ         AX, AX

belowloop:
	CMPQ    AX, CX
	JGE     belownone
	VCMPPS  $0x0e, (SI)(AX*4), Z1, K1
	KMOVW   K1, BX
	TESTL   BX, BX
	JNZ     belowfound
	ADDQ    $16, AX
	JMP     belowloop

belowfound:
	TZCNTL BX, BX
	ADDQ   BX, AX

belownone:
	VZEROUPPER
	MOVQ AX, ret+24(FP)
	RET
