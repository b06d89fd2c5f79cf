#include "textflag.h"

// The axpy kernels, one per width of 8 to 64 columns (1 to 8 YMM
// registers, Y0 … Y7, hold c): LOADn, AXPYn and STOREn cover the first n
// registers, and AXPY_KERNEL is the whole body.
//
// c in registers; for each l with a[l·astride] ≠ 0 (NaN included, as
// gonum's tmp != 0), b's row l times it (b first, as gonum's MULPS), then
// the product plus c (product first, as gonum's ADDPS); c stored back.
#define LOAD1 VMOVUPS 0(R8), Y0
#define LOAD2 LOAD1; VMOVUPS 32(R8), Y1
#define LOAD3 LOAD2; VMOVUPS 64(R8), Y2
#define LOAD4 LOAD3; VMOVUPS 96(R8), Y3
#define LOAD5 LOAD4; VMOVUPS 128(R8), Y4
#define LOAD6 LOAD5; VMOVUPS 160(R8), Y5
#define LOAD7 LOAD6; VMOVUPS 192(R8), Y6
#define LOAD8 LOAD7; VMOVUPS 224(R8), Y7
#define STORE1 VMOVUPS Y0, 0(R8)
#define STORE2 STORE1; VMOVUPS Y1, 32(R8)
#define STORE3 STORE2; VMOVUPS Y2, 64(R8)
#define STORE4 STORE3; VMOVUPS Y3, 96(R8)
#define STORE5 STORE4; VMOVUPS Y4, 128(R8)
#define STORE6 STORE5; VMOVUPS Y5, 160(R8)
#define STORE7 STORE6; VMOVUPS Y6, 192(R8)
#define STORE8 STORE7; VMOVUPS Y7, 224(R8)
#define AXPY1 VMOVUPS 0(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y0, Y9, Y0
#define AXPY2 AXPY1; VMOVUPS 32(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y1, Y9, Y1
#define AXPY3 AXPY2; VMOVUPS 64(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y2, Y9, Y2
#define AXPY4 AXPY3; VMOVUPS 96(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y3, Y9, Y3
#define AXPY5 AXPY4; VMOVUPS 128(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y4, Y9, Y4
#define AXPY6 AXPY5; VMOVUPS 160(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y5, Y9, Y5
#define AXPY7 AXPY6; VMOVUPS 192(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y6, Y9, Y6
#define AXPY8 AXPY7; VMOVUPS 224(DI), Y9; VMULPS Y8, Y9, Y9; VADDPS Y7, Y9, Y7

#define AXPY_KERNEL(LOADN, AXPYN, STOREN) \
	MOVQ a+0(FP), SI \
	MOVQ astride+8(FP), R9 \
	SHLQ $2, R9 \
	MOVQ k+16(FP), CX \
	MOVQ b+24(FP), DI \
	MOVQ ldb+32(FP), DX \
	SHLQ $2, DX \
	MOVQ c+40(FP), R8 \
	LOADN \
	VXORPS X15, X15, X15 \
	TESTQ CX, CX \
	JEQ store \
loop: \
	VMOVSS (SI), X8 \
	VUCOMISS X15, X8 \
	JPS take \
	JEQ skip \
take: \
	VBROADCASTSS (SI), Y8 \
	AXPYN \
skip: \
	ADDQ R9, SI \
	ADDQ DX, DI \
	DECQ CX \
	JNZ loop \
store: \
	STOREN \
	VZEROUPPER \
	RET

// func axpyRow64(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow64(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD8, AXPY8, STORE8)

// func axpyRow56(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow56(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD7, AXPY7, STORE7)

// func axpyRow48(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow48(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD6, AXPY6, STORE6)

// func axpyRow40(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow40(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD5, AXPY5, STORE5)

// func axpyRow32(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow32(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD4, AXPY4, STORE4)

// func axpyRow24(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow24(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD3, AXPY3, STORE3)

// func axpyRow16(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow16(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD2, AXPY2, STORE2)

// func axpyRow8(a *float32, astride int, k int, b *float32, ldb int, c *float32)
TEXT ·axpyRow8(SB), NOSPLIT, $0-48
	AXPY_KERNEL(LOAD1, AXPY1, STORE1)

// DOT4_BLOCK adds one 16-element block of x (SI) times four rows (R9–R12),
// AX bytes in, to Y0–Y3: elements 0–7, then 8–15.
#define DOT4_BLOCK \
	VMOVUPS 0(SI)(AX*1), Y8 \
	VMOVUPS 32(SI)(AX*1), Y9 \
	VMULPS 0(R9)(AX*1), Y8, Y10 \
	VADDPS Y10, Y0, Y0 \
	VMULPS 0(R10)(AX*1), Y8, Y10 \
	VADDPS Y10, Y1, Y1 \
	VMULPS 0(R11)(AX*1), Y8, Y10 \
	VADDPS Y10, Y2, Y2 \
	VMULPS 0(R12)(AX*1), Y8, Y10 \
	VADDPS Y10, Y3, Y3 \
	VMULPS 32(R9)(AX*1), Y9, Y11 \
	VADDPS Y11, Y0, Y0 \
	VMULPS 32(R10)(AX*1), Y9, Y11 \
	VADDPS Y11, Y1, Y1 \
	VMULPS 32(R11)(AX*1), Y9, Y11 \
	VADDPS Y11, Y2, Y2 \
	VMULPS 32(R12)(AX*1), Y9, Y11 \
	VADDPS Y11, Y3, Y3

// func dot4(x *float32, b *float32, ldb int, blocks16 int, acc *float32)
//
// Y0–Y3 hold the four rows' accumulators (low lanes gonum's SUM, high
// lanes its P_SUM); per block, x's elements 0–7 then 8–15 times the row's
// (x first, as gonum's MULPS), added after the accumulator (accumulator
// first, as gonum's ADDPS); at the end the high lanes are added to the low.
TEXT ·dot4(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ b+8(FP), R9
	MOVQ ldb+16(FP), DX
	SHLQ $2, DX
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	MOVQ blocks16+24(FP), CX
	MOVQ acc+32(FP), R8
	VMOVUPS 0(R8), Y0
	VMOVUPS 32(R8), Y1
	VMOVUPS 64(R8), Y2
	VMOVUPS 96(R8), Y3
	XORQ AX, AX
dot4_loop:
	DOT4_BLOCK
	ADDQ $64, AX
	DECQ CX
	JNZ dot4_loop
	VEXTRACTF128 $1, Y0, X12
	VADDPS X12, X0, X0
	VMOVUPS X0, 0(R8)
	VEXTRACTF128 $1, Y1, X12
	VADDPS X12, X1, X1
	VMOVUPS X1, 32(R8)
	VEXTRACTF128 $1, Y2, X12
	VADDPS X12, X2, X2
	VMOVUPS X2, 64(R8)
	VEXTRACTF128 $1, Y3, X12
	VADDPS X12, X3, X3
	VMOVUPS X3, 96(R8)
	VZEROUPPER
	RET
// func dotRows4(x *float32, b *float32, ldb int, blocks16 int, n4 int, out *float32)
//
// out[j] = DotUnitary(x, b's row j) for j < 4·n4, where x and every row
// are 16·blocks16 long and the rows start on 16-byte boundaries (no
// leading or trailing elements): dot4's blocks and fold, then the lanes
// in pairs as gonum's two HADDPS, (s0 + s1) + (s2 + s3).
TEXT ·dotRows4(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ b+8(FP), R9
	MOVQ ldb+16(FP), DX
	SHLQ $2, DX
	MOVQ n4+32(FP), R13
	MOVQ out+40(FP), R8
group:
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	MOVQ blocks16+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX
block:
	DOT4_BLOCK
	ADDQ $64, AX
	DECQ CX
	JNZ block
	VEXTRACTF128 $1, Y0, X12
	VADDPS X12, X0, X0
	VEXTRACTF128 $1, Y1, X12
	VADDPS X12, X1, X1
	VEXTRACTF128 $1, Y2, X12
	VADDPS X12, X2, X2
	VEXTRACTF128 $1, Y3, X12
	VADDPS X12, X3, X3
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X1, X1, X1
	VHADDPS X1, X1, X1
	VHADDPS X2, X2, X2
	VHADDPS X2, X2, X2
	VHADDPS X3, X3, X3
	VHADDPS X3, X3, X3
	VMOVSS X0, 0(R8)
	VMOVSS X1, 4(R8)
	VMOVSS X2, 8(R8)
	VMOVSS X3, 12(R8)
	ADDQ $16, R8
	LEAQ (R12)(DX*1), R9
	DECQ R13
	JNZ group
	VZEROUPPER
	RET
