#include "textflag.h"

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

// func countAbove6(row *float32, keys *int32, n int, thr *[6][8]float32, kthr *[6][8]int32, acc *[7][8]int32)
//
// Over candidates [0, n) (n a multiple of 8), per eight-candidate lane:
// acc[j] counts those that outrank threshold candidate j, for j < 6 — a
// higher score, or an equal one (−0 equals +0) and a higher tie key;
// acc[6] counts the NaN scores. thr[j] and kthr[j] hold threshold j's score
// and key eight times; a NaN threshold counts nothing. A compare gives −1
// where true, and subtracting it adds one.
TEXT ·countAbove6(SB), NOSPLIT, $0-48
	MOVQ row+0(FP), SI
	MOVQ keys+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ thr+24(FP), DX
	MOVQ kthr+32(FP), R8
	MOVQ acc+40(FP), DI
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	SHLQ $2, CX
	XORQ AX, AX

tloop:
	CMPQ AX, CX
	JGE  tdone
	VMOVUPS (SI)(AX*1), Y7
	VMOVDQU (BX)(AX*1), Y8
	VCMPPS $0x1e, 0(DX), Y7, Y9
	VCMPPS $0x00, 0(DX), Y7, Y10
	VPCMPGTD 0(R8), Y8, Y11
	VPAND Y11, Y10, Y10
	VPOR Y10, Y9, Y9
	VPSUBD Y9, Y0, Y0
	VCMPPS $0x1e, 32(DX), Y7, Y9
	VCMPPS $0x00, 32(DX), Y7, Y10
	VPCMPGTD 32(R8), Y8, Y11
	VPAND Y11, Y10, Y10
	VPOR Y10, Y9, Y9
	VPSUBD Y9, Y1, Y1
	VCMPPS $0x1e, 64(DX), Y7, Y9
	VCMPPS $0x00, 64(DX), Y7, Y10
	VPCMPGTD 64(R8), Y8, Y11
	VPAND Y11, Y10, Y10
	VPOR Y10, Y9, Y9
	VPSUBD Y9, Y2, Y2
	VCMPPS $0x1e, 96(DX), Y7, Y9
	VCMPPS $0x00, 96(DX), Y7, Y10
	VPCMPGTD 96(R8), Y8, Y11
	VPAND Y11, Y10, Y10
	VPOR Y10, Y9, Y9
	VPSUBD Y9, Y3, Y3
	VCMPPS $0x1e, 128(DX), Y7, Y9
	VCMPPS $0x00, 128(DX), Y7, Y10
	VPCMPGTD 128(R8), Y8, Y11
	VPAND Y11, Y10, Y10
	VPOR Y10, Y9, Y9
	VPSUBD Y9, Y4, Y4
	VCMPPS $0x1e, 160(DX), Y7, Y9
	VCMPPS $0x00, 160(DX), Y7, Y10
	VPCMPGTD 160(R8), Y8, Y11
	VPAND Y11, Y10, Y10
	VPOR Y10, Y9, Y9
	VPSUBD Y9, Y5, Y5
	VCMPPS $0x03, Y7, Y7, Y9 // UNORD_Q: a NaN
	VPSUBD Y9, Y6, Y6
	ADDQ $32, AX
	JMP  tloop

tdone:
	VMOVDQU Y0, 0(DI)
	VMOVDQU Y1, 32(DI)
	VMOVDQU Y2, 64(DI)
	VMOVDQU Y3, 96(DI)
	VMOVDQU Y4, 128(DI)
	VMOVDQU Y5, 160(DI)
	VMOVDQU Y6, 192(DI)
	VZEROUPPER
	RET
