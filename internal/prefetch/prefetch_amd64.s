#include "textflag.h"

// func Lines(addrs []uintptr)
TEXT ·Lines(SB), NOSPLIT, $0-24
	MOVQ addrs_base+0(FP), SI
	MOVQ addrs_len+8(FP), CX
	TESTQ CX, CX
	JEQ linesdone
linesloop:
	MOVQ (SI), AX
	PREFETCHT0 (AX)
	ADDQ $8, SI
	DECQ CX
	JNE linesloop
linesdone:
	RET

// func Spans24(addrs []uintptr)
TEXT ·Spans24(SB), NOSPLIT, $0-24
	MOVQ addrs_base+0(FP), SI
	MOVQ addrs_len+8(FP), CX
	TESTQ CX, CX
	JEQ spansdone
spansloop:
	MOVQ (SI), AX
	PREFETCHT0 (AX)
	PREFETCHT0 23(AX)
	ADDQ $8, SI
	DECQ CX
	JNE spansloop
spansdone:
	RET
