#include "textflag.h"

// func bagSum64(table *float32, d int, ids *uint32, weights *float32, n int, out *float32)
//
// out[c:c+64] = Σ_k weights[k] · table[ids[k]*d+c:][:64] for each 64-float
// slice c of the d floats (d a positive multiple of 64, n positive): eight
// YMM registers hold the slice while the rows go by, each product rounded
// before it is added, rows in k order (gonum's Saxpy, row after row).
TEXT ·bagSum64(SB), NOSPLIT, $0-48
	MOVQ table+0(FP), SI
	MOVQ d+8(FP), DX
	MOVQ ids+16(FP), BX
	MOVQ weights+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ out+40(FP), R10
	MOVQ DX, R11
	SHLQ $2, R11 // row bytes
	XORQ R12, R12 // slice offset in bytes

slice:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX

row:
	MOVL (BX)(AX*4), R9
	IMULQ R11, R9
	ADDQ SI, R9
	ADDQ R12, R9
	VBROADCASTSS (R8)(AX*4), Y8
	VMULPS 0(R9), Y8, Y9
	VADDPS Y9, Y0, Y0
	VMULPS 32(R9), Y8, Y9
	VADDPS Y9, Y1, Y1
	VMULPS 64(R9), Y8, Y9
	VADDPS Y9, Y2, Y2
	VMULPS 96(R9), Y8, Y9
	VADDPS Y9, Y3, Y3
	VMULPS 128(R9), Y8, Y9
	VADDPS Y9, Y4, Y4
	VMULPS 160(R9), Y8, Y9
	VADDPS Y9, Y5, Y5
	VMULPS 192(R9), Y8, Y9
	VADDPS Y9, Y6, Y6
	VMULPS 224(R9), Y8, Y9
	VADDPS Y9, Y7, Y7
	INCQ AX
	CMPQ AX, CX
	JL   row

	VMOVUPS Y0, 0(R10)
	VMOVUPS Y1, 32(R10)
	VMOVUPS Y2, 64(R10)
	VMOVUPS Y3, 96(R10)
	VMOVUPS Y4, 128(R10)
	VMOVUPS Y5, 160(R10)
	VMOVUPS Y6, 192(R10)
	VMOVUPS Y7, 224(R10)
	ADDQ $256, R10
	ADDQ $256, R12
	CMPQ R12, R11
	JL   slice
	VZEROUPPER
	RET

// func axpy8(a float32, x, y *float32, n int)
//
// y[i] += a·x[i] for i < n (n a positive multiple of 8), the product
// rounded before the sum, as gonum's Saxpy.
TEXT ·axpy8(SB), NOSPLIT, $0-32
	VBROADCASTSS a+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	XORQ AX, AX

aloop:
	VMULPS (SI)(AX*1), Y0, Y1
	VADDPS (DI)(AX*1), Y1, Y1
	VMOVUPS Y1, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, CX
	JL   aloop
	VZEROUPPER
	RET
