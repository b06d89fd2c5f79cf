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

// The AVX-512 kernel keeps the eight-lane sums above: a ZMM accumulator
// holds two of them, one candidate in its low half and the next in its
// high half, so every lane adds the same products in the same order as in
// the AVX2 kernels, and the reduction adds the lanes in the order above.
// Candidates come packed in pairs (packPairs): for each eight components,
// eight of the first candidate then eight of the second, so one load
// fills both halves.

// Lane order for VPERMPS after REDUCE8X2: row 0's eight sums, then row 1's.
DATA reduceOrder512<>+0(SB)/4, $0
DATA reduceOrder512<>+4(SB)/4, $4
DATA reduceOrder512<>+8(SB)/4, $8
DATA reduceOrder512<>+12(SB)/4, $12
DATA reduceOrder512<>+16(SB)/4, $1
DATA reduceOrder512<>+20(SB)/4, $5
DATA reduceOrder512<>+24(SB)/4, $9
DATA reduceOrder512<>+28(SB)/4, $13
DATA reduceOrder512<>+32(SB)/4, $2
DATA reduceOrder512<>+36(SB)/4, $6
DATA reduceOrder512<>+40(SB)/4, $10
DATA reduceOrder512<>+44(SB)/4, $14
DATA reduceOrder512<>+48(SB)/4, $3
DATA reduceOrder512<>+52(SB)/4, $7
DATA reduceOrder512<>+56(SB)/4, $11
DATA reduceOrder512<>+60(SB)/4, $15
GLOBL reduceOrder512<>(SB), RODATA|NOPTR, $64

// HALVES adds each eight-lane sum's high four lanes onto its low four for
// two accumulators (four candidates): D = [a | b | c | d], four lanes each,
// where Z0 holds candidates a, b and Z1 candidates c, d. Z30 is scratch.
#define HALVES(Z0, Z1, D) \
	VSHUFF32X4 $0x88, Z1, Z0, D   \
	VSHUFF32X4 $0xdd, Z1, Z0, Z30 \
	VADDPS     Z30, D, D

// PAIRS adds lanes 0+1 and 2+3 of every four-lane group of S0 and S1
// (candidates 0–3 and 4–7 of a row): per 128-bit block k, D = [S0k 0+1,
// S0k 2+3, S1k 0+1, S1k 2+3]. Z30 is scratch.
#define PAIRS(S0, S1, D) \
	VSHUFPS $0x88, S1, S0, D   \
	VSHUFPS $0xdd, S1, S0, Z30 \
	VADDPS  Z30, D, D

// REDUCE8X2 finishes two rows from their PAIRS results R0 and R1: per
// block k, [(0+1)+(2+3)] for row 0's candidates k and k+4, then row 1's;
// VPERMPS (order in Z31) puts row 0's eight sums in the low half and row
// 1's in the high half, stored at OUT0 and OUT1. Z28–Z30 are scratch.
#define REDUCE8X2(R0, R1, OUT0, OUT1) \
	VSHUFPS $0x88, R1, R0, Z28 \
	VSHUFPS $0xdd, R1, R0, Z30 \
	VADDPS  Z30, Z28, Z28      \
	VPERMPS Z28, Z31, Z28      \
	VMOVUPS Y28, OUT0          \
	VEXTRACTF32X8 $1, Z28, OUT1

// ROW8 reduces one row's four accumulators (eight candidates) to its PAIRS
// result in D. Z28 and Z29 are scratch.
#define ROW8(A, B, C, E, D) \
	HALVES(A, B, Z29) \
	HALVES(C, E, Z28) \
	PAIRS(Z29, Z28, D)

// func dot4x8Run(a *float32, lda int, b *float32, k int, n8 int, out *float32, ldo int)
//
// For t < n8, i < 4, j < 8: out[i*ldo+8t+j] = a[i*lda:][:k] · candidate
// 8t+j, where b holds the candidates packed in pairs (pair p at b[2pk:],
// interleaving eight floats of each); k is a positive multiple of 8 and n8
// positive. Sixteen ZMM accumulators hold a 4×8 block (row r, pair p in
// Z(4r+p)); four hold the pairs' current sixteen floats and one a query
// row's eight, broadcast to both halves.
TEXT ·dot4x8Run(SB), NOSPLIT, $0-56
	MOVQ a+0(FP), SI
	MOVQ lda+8(FP), R8
	SHLQ $2, R8
	MOVQ b+16(FP), DI
	MOVQ k+24(FP), CX
	SHLQ $2, CX
	MOVQ n8+32(FP), BX
	MOVQ out+40(FP), DX
	MOVQ ldo+48(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	VMOVUPS reduceOrder512<>(SB), Z31

block8:
	LEAQ (DI)(CX*2), R13
	LEAQ (R13)(CX*2), R14
	LEAQ (R14)(CX*2), R15
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	XORQ AX, AX

loop8:
	VMOVUPS (DI)(AX*2), Z16
	VMOVUPS (R13)(AX*2), Z17
	VMOVUPS (R14)(AX*2), Z18
	VMOVUPS (R15)(AX*2), Z19
	VBROADCASTF32X8 (SI)(AX*1), Z20
	VFMADD231PS Z16, Z20, Z0
	VFMADD231PS Z17, Z20, Z1
	VFMADD231PS Z18, Z20, Z2
	VFMADD231PS Z19, Z20, Z3
	VBROADCASTF32X8 (R10)(AX*1), Z21
	VFMADD231PS Z16, Z21, Z4
	VFMADD231PS Z17, Z21, Z5
	VFMADD231PS Z18, Z21, Z6
	VFMADD231PS Z19, Z21, Z7
	VBROADCASTF32X8 (R11)(AX*1), Z22
	VFMADD231PS Z16, Z22, Z8
	VFMADD231PS Z17, Z22, Z9
	VFMADD231PS Z18, Z22, Z10
	VFMADD231PS Z19, Z22, Z11
	VBROADCASTF32X8 (R12)(AX*1), Z23
	VFMADD231PS Z16, Z23, Z12
	VFMADD231PS Z17, Z23, Z13
	VFMADD231PS Z18, Z23, Z14
	VFMADD231PS Z19, Z23, Z15
	ADDQ $32, AX
	CMPQ AX, CX
	JL   loop8

	ROW8(Z0, Z1, Z2, Z3, Z24)
	ROW8(Z4, Z5, Z6, Z7, Z25)
	ROW8(Z8, Z9, Z10, Z11, Z26)
	ROW8(Z12, Z13, Z14, Z15, Z27)
	LEAQ (DX)(R9*1), AX
	REDUCE8X2(Z24, Z25, (DX), (AX))
	LEAQ (AX)(R9*1), AX
	LEAQ (AX)(R9*1), R8
	REDUCE8X2(Z26, Z27, (AX), (R8))

	LEAQ (R15)(CX*2), DI // the next four pairs
	ADDQ $32, DX
	DECQ BX
	JNZ  block8
	VZEROUPPER
	RET
