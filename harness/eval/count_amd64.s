#include "textflag.h"

// func countAbove12(ks *int64, n int, rk *[12]int64, above *[12]int64)
//
// above[j] += the number of ks[0:n] greater than rk[j], for j < 12: three
// YMM registers hold rk, three accumulate the counts (a compare gives −1
// where true, and subtracting it adds one).
TEXT ·countAbove12(SB), NOSPLIT, $0-32
	MOVQ ks+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ rk+16(FP), DX
	MOVQ above+24(FP), DI
	VMOVDQU 0(DX), Y0
	VMOVDQU 32(DX), Y1
	VMOVDQU 64(DX), Y2
	VMOVDQU 0(DI), Y3
	VMOVDQU 32(DI), Y4
	VMOVDQU 64(DI), Y5
	TESTQ CX, CX
	JE    done

loop:
	VPBROADCASTQ (SI), Y6
	VPCMPGTQ Y0, Y6, Y7
	VPSUBQ   Y7, Y3, Y3
	VPCMPGTQ Y1, Y6, Y8
	VPSUBQ   Y8, Y4, Y4
	VPCMPGTQ Y2, Y6, Y9
	VPSUBQ   Y9, Y5, Y5
	ADDQ $8, SI
	DECQ CX
	JNZ  loop

done:
	VMOVDQU Y3, 0(DI)
	VMOVDQU Y4, 32(DI)
	VMOVDQU Y5, 64(DI)
	VZEROUPPER
	RET

// func count8(row *float32, n int, s float32) (gt, eq, un int)
//
// Over row[0:n] (n a multiple of 8), how many scores are greater than s,
// equal to it (−0 equals +0), and unordered with it (a NaN on either side):
// eight compares at a time, their masks counted by POPCNT.
TEXT ·count8(SB), NOSPLIT, $0-48
	MOVQ row+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Y0
	XORQ R8, R8
	XORQ R9, R9
	XORQ R10, R10
	SHLQ $2, CX
	XORQ AX, AX

cloop:
	CMPQ AX, CX
	JGE  cdone
	VMOVUPS (SI)(AX*1), Y1
	VCMPPS $0x1e, Y0, Y1, Y2 // GT_OQ: row > s
	VMOVMSKPS Y2, DX
	POPCNTL DX, DX
	ADDQ DX, R8
	VCMPPS $0x00, Y0, Y1, Y3 // EQ_OQ: row == s
	VMOVMSKPS Y3, DX
	POPCNTL DX, DX
	ADDQ DX, R9
	VCMPPS $0x03, Y0, Y1, Y4 // UNORD_Q: a NaN
	VMOVMSKPS Y4, DX
	POPCNTL DX, DX
	ADDQ DX, R10
	ADDQ $32, AX
	JMP  cloop

cdone:
	MOVQ R8, gt+24(FP)
	MOVQ R9, eq+32(FP)
	MOVQ R10, un+40(FP)
	VZEROUPPER
	RET
