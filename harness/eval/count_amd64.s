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

// ABOVE16 adds one to lane l of ACC where candidate l of the sixteen in Z12
// (scores) and Z13 (keys) outranks threshold J: a higher score, or an equal
// one (−0 equals +0) and a higher key. Thresholds are read as scalars from
// DX (scores) and R8 (keys) and broadcast; a NaN threshold compares false.
#define ABOVE16(J, ACC) \
	VCMPPS.BCST $0x1e, (4*J)(DX), Z12, K1 \
	VCMPPS.BCST $0x00, (4*J)(DX), Z12, K2 \
	VPCMPGTD.BCST (4*J)(R8), Z13, K2, K3 \
	KORW K3, K1, K1 \
	VPADDD Z31, ACC, K1, ACC

// func countAbove12(row *float32, keys *int32, n int, thr *[12]float32, kthr *[12]int32, acc *[12][16]int32) (nan bool)
//
// countAbove6 with AVX-512 for twelve thresholds at once: over candidates
// [0, n) (n a multiple of 16), per sixteen-candidate lane, acc[j] counts
// those that outrank threshold j (a higher score, or an equal one and a
// higher key). It reports whether any score was NaN.
TEXT ·countAbove12(SB), NOSPLIT, $0-49
	MOVQ row+0(FP), SI
	MOVQ keys+8(FP), BX
	MOVQ n+16(FP), CX
	MOVQ thr+24(FP), DX
	MOVQ kthr+32(FP), R8
	MOVQ acc+40(FP), DI
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
	VPTERNLOGD $0xff, Z31, Z31, Z31 // every bit set: −1 per lane
	VPXORD Z30, Z30, Z30
	VPSUBD Z31, Z30, Z31            // 0 − (−1): 1 per lane
	KXORW K5, K5, K5                // NaNs seen
	SHLQ $2, CX
	XORQ AX, AX

qloop:
	CMPQ AX, CX
	JGE  qdone
	VMOVUPS (SI)(AX*1), Z12
	VMOVDQU32 (BX)(AX*1), Z13
	VCMPPS $0x03, Z12, Z12, K4 // UNORD_Q: a NaN
	KORW K4, K5, K5
	ABOVE16(0, Z0)
	ABOVE16(1, Z1)
	ABOVE16(2, Z2)
	ABOVE16(3, Z3)
	ABOVE16(4, Z4)
	ABOVE16(5, Z5)
	ABOVE16(6, Z6)
	ABOVE16(7, Z7)
	ABOVE16(8, Z8)
	ABOVE16(9, Z9)
	ABOVE16(10, Z10)
	ABOVE16(11, Z11)
	ADDQ $64, AX
	JMP  qloop

qdone:
	VMOVDQU32 Z0, 0(DI)
	VMOVDQU32 Z1, 64(DI)
	VMOVDQU32 Z2, 128(DI)
	VMOVDQU32 Z3, 192(DI)
	VMOVDQU32 Z4, 256(DI)
	VMOVDQU32 Z5, 320(DI)
	VMOVDQU32 Z6, 384(DI)
	VMOVDQU32 Z7, 448(DI)
	VMOVDQU32 Z8, 512(DI)
	VMOVDQU32 Z9, 576(DI)
	VMOVDQU32 Z10, 640(DI)
	VMOVDQU32 Z11, 704(DI)
	KMOVW K5, AX
	TESTW AX, AX
	SETNE nan+48(FP)
	VZEROUPPER
	RET
