#include "textflag.h"

// Every inner product here is summed the same way, whichever kernel or
// block computes it: eight lanes, lane l accumulating the products of
// components l, l+8, l+16, … with fused multiply-adds, then the lanes
// added as ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)). A score therefore does
// not depend on how the matrix was split over cores or blocks.

// Lane order for VPERMPS after the 4×3 reduction (see REDUCE2).
DATA reduceOrder<>+0(SB)/4, $0
DATA reduceOrder<>+4(SB)/4, $1
DATA reduceOrder<>+8(SB)/4, $4
DATA reduceOrder<>+12(SB)/4, $4
DATA reduceOrder<>+16(SB)/4, $5
DATA reduceOrder<>+20(SB)/4, $2
DATA reduceOrder<>+24(SB)/4, $6
DATA reduceOrder<>+28(SB)/4, $6
GLOBL reduceOrder<>(SB), RODATA|NOPTR, $32

// REDUCE2 sums the lanes of the six accumulators of two query rows, A0 B0
// C0 (row 0 against candidates 0, 1, 2) and A1 B1 C1, and stores row 0's
// three sums at OUT0 and row 1's at OUT1. The additions are those of the
// lane order above, six vectors at a time: high halves onto low halves
// (two vectors per register), then two horizontal adds. Y12–Y15 are
// scratch; Y15 must hold reduceOrder. The steps: [a0|c0], [b0|a1], [b1|c1]
// with halves added; horizontal adds give [a0 a0 b0 b0|c0 c0 a1 a1] and
// [b1 b1 b1 b1|c1 c1 c1 c1] in pairs, then [a0 b0 b1 b1|c0 a1 c1 c1]
// summed; VPERMPS orders it [a0 b0 c0 c0|a1 b1 c1 c1] for the stores.
#define REDUCE2(A0, B0, C0, A1, B1, C1, OUT0, OUT0AT8, OUT1, OUT1AT8) \
	VPERM2F128 $0x20, C0, A0, Y12 \
	VPERM2F128 $0x31, C0, A0, Y13 \
	VADDPS     Y13, Y12, Y12 \
	VPERM2F128 $0x20, A1, B0, Y13 \
	VPERM2F128 $0x31, A1, B0, A0  \
	VADDPS     A0, Y13, Y13 \
	VPERM2F128 $0x20, C1, B1, A0  \
	VPERM2F128 $0x31, C1, B1, B0  \
	VADDPS     B0, A0, A0 \
	VHADDPS    Y13, Y12, Y12 \
	VHADDPS    A0, A0, A0 \
	VHADDPS    A0, Y12, Y12 \
	VPERMPS    Y12, Y15, Y12 \
	VMOVLPS    X12, OUT0          \
	VEXTRACTPS $2, X12, OUT0AT8    \
	VEXTRACTF128 $1, Y12, X13     \
	VMOVLPS    X13, OUT1          \
	VEXTRACTPS $2, X13, OUT1AT8

// func dot4x3Run(a *float32, lda int, b *float32, k int, n3 int, out *float32, ldo int)
//
// For t < n3, i < 4, j < 3: out[i*ldo+3t+j] = a[i*lda:][:k] · b[(3t+j)*k:][:k]
// (the candidate rows b are consecutive, k floats each); k is a positive
// multiple of 8 and n3 positive. Twelve YMM accumulators hold a 4×3 block;
// three hold the candidate rows' current eight floats and one a query
// row's.
TEXT ·dot4x3Run(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	SHLQ $2, R8
	MOVQ b+16(FP), DI
	MOVQ k+24(FP), CX
	SHLQ $2, CX
	MOVQ n3+32(FP), R15
	MOVQ out+40(FP), DX
	MOVQ ldo+48(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	LEAQ (R9)(R9*2), R14 // 3 rows of out

block:
	LEAQ (DI)(CX*1), R13
	LEAQ (R13)(CX*1), BX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ AX, AX

loop:
	VMOVUPS (DI)(AX*1), Y12
	VMOVUPS (R13)(AX*1), Y13
	VMOVUPS (BX)(AX*1), Y14
	VMOVUPS (SI)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VMOVUPS (R10)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VMOVUPS (R11)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS (R12)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	ADDQ $32, AX
	CMPQ AX, CX
	JL   loop

	VMOVUPS reduceOrder<>(SB), Y15
	REDUCE2(Y0, Y1, Y2, Y3, Y4, Y5, (DX), 8(DX), (DX)(R9*1), 8(DX)(R9*1))
	REDUCE2(Y6, Y7, Y8, Y9, Y10, Y11, (DX)(R9*2), 8(DX)(R9*2), (DX)(R14*1), 8(DX)(R14*1))

	LEAQ (BX)(CX*1), DI // the next three candidate rows
	ADDQ $12, DX
	DECQ R15
	JNZ  block
	VZEROUPPER
	RET

// func dot1x1(a *float32, b *float32, k int) float32
//
// a[:k] · b[:k], k a positive multiple of 8, summed as the 4×3 kernel sums.
TEXT ·dot1x1(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ k+16(FP), CX
	SHLQ $2, CX
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

loop1:
	VMOVUPS (DI)(AX*1), Y1
	VFMADD231PS (SI)(AX*1), Y1, Y0
	ADDQ $32, AX
	CMPQ AX, CX
	JL   loop1

	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET
