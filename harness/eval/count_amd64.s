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
