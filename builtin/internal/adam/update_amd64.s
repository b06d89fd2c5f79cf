#include "textflag.h"

// ADAMW8CONSTANTS loads the constants at C into Y8–Y14: β1, 1−β1, β2,
// 1−β2, ε, lr, decay.
#define ADAMW8CONSTANTS(C) \
	VBROADCASTSS 0(C), Y8 \
	VBROADCASTSS 4(C), Y9 \
	VBROADCASTSS 8(C), Y10 \
	VBROADCASTSS 12(C), Y11 \
	VBROADCASTSS 16(C), Y12 \
	VBROADCASTSS 20(C), Y13 \
	VBROADCASTSS 24(C), Y14

// ADAMW8 is the AdamW update of eight floats: gradient at G, moments at M
// and V, weights at P (memory operands), constants in Y8–Y14 (see update8):
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + ((1−β2)·g)·g
//	p = p·decay − (lr·m)/(√v + ε)
#define ADAMW8(G, M, V, P) \
	VMOVUPS G, Y0 \
	VMOVUPS M, Y1 \
	VMOVUPS V, Y2 \
	VMOVUPS P, Y3 \
	VMULPS  Y8, Y1, Y1 \
	VMULPS  Y9, Y0, Y4 \
	VADDPS  Y4, Y1, Y1 \
	VMOVUPS Y1, M \
	VMULPS  Y10, Y2, Y2 \
	VMULPS  Y11, Y0, Y5 \
	VMULPS  Y0, Y5, Y5 \
	VADDPS  Y5, Y2, Y2 \
	VMOVUPS Y2, V \
	VSQRTPS Y2, Y6 \
	VADDPS  Y12, Y6, Y6 \
	VMULPS  Y13, Y1, Y7 \
	VDIVPS  Y6, Y7, Y7 \
	VMULPS  Y14, Y3, Y3 \
	VSUBPS  Y7, Y3, Y3 \
	VMOVUPS Y3, P

// func update8(p, m, v, grad *float32, n int, c *[8]float32)
//
// The AdamW update of Update, eight floats at a time, for n a multiple of
// 8. c holds the constants: β1, 1−β1, β2, 1−β2, ε (each as the float32 Go
// converts the constant expression to), then lr and decay. Every operation
// is the scalar loop's, in its order, without fused multiply-adds, and
// VSQRTPS and VDIVPS round as IEEE requires: the results are bit for bit
// the scalar loop's.
TEXT ·update8(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), SI
	MOVQ m+8(FP), DI
	MOVQ v+16(FP), R8
	MOVQ grad+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), DX
	ADAMW8CONSTANTS(DX)
	SHLQ $2, CX
	XORQ AX, AX

loop:
	CMPQ AX, CX
	JGE  done
	ADAMW8((R9)(AX*1), (DI)(AX*1), (R8)(AX*1), (SI)(AX*1))
	ADDQ    $32, AX
	JMP     loop

done:
	VZEROUPPER
	RET

// func updateRows8(p, m, v *float32, d int, ids *uint32, grads *float32, rows int, c *[8]float32)
//
// update8 on rows ids[0:rows] of the d-wide tables p, m and v (d a positive
// multiple of 8), row r taking the gradient grads[r*d:][:d]. The rows are
// scattered over tables larger than the caches, so while one row is
// updated the next-but-one row's cache lines are prefetched.
TEXT ·updateRows8(SB), NOSPLIT, $0-64
	MOVQ p+0(FP), SI
	MOVQ m+8(FP), DI
	MOVQ v+16(FP), R8
	MOVQ d+24(FP), R10
	SHLQ $2, R10 // row bytes
	MOVQ ids+32(FP), BX
	MOVQ grads+40(FP), R9
	MOVQ rows+48(FP), R12
	MOVQ c+56(FP), DX
	ADAMW8CONSTANTS(DX)
	XORQ R13, R13 // row index

row:
	CMPQ R13, R12
	JGE  rdone
	LEAQ 2(R13), R14
	CMPQ R14, R12
	JGE  noprefetch
	MOVL (BX)(R14*4), R15
	IMULQ R10, R15
	XORQ CX, CX

pf:
	LEAQ (R15)(CX*1), AX
	PREFETCHT0 (SI)(AX*1)
	PREFETCHT0 (DI)(AX*1)
	PREFETCHT0 (R8)(AX*1)
	ADDQ $64, CX
	CMPQ CX, R10
	JL   pf

noprefetch:
	MOVL (BX)(R13*4), R11
	IMULQ R10, R11 // this row's byte offset
	XORQ AX, AX

elem:
	ADAMW8((R9)(AX*1), (DI)(R11*1), (R8)(R11*1), (SI)(R11*1))
	ADDQ    $32, R11
	ADDQ    $32, AX
	CMPQ    AX, R10
	JL      elem
	ADDQ    R10, R9 // the next row's gradient
	INCQ    R13
	JMP     row

rdone:
	VZEROUPPER
	RET
