package contactkey

import (
	"encoding/binary"
	"errors"
	"fmt"
	"regexp/syntax"
	"slices"
)

// digitDFA is a deterministic automaton over the ten ASCII digits that runs
// several regular expressions at once. Each state carries a bit set of the
// patterns that match the digits read so far (as a whole), so one walk over
// a number answers "which of these patterns match it fully" and, looking at
// the states passed on the way, "which match a prefix of it".
//
// It is how libphonenumber's per-region patterns become a dozen table
// look-ups instead of a dozen regexp runs. State 0 is the dead state (no
// pattern can match any more), state 1 the start.
type digitDFA struct {
	next   []uint16 // state*10 + digit → state
	accept []uint16 // state → bit i set when pattern i matches the input so far
	live   []uint16 // state → bit i set when pattern i can still match on a longer input
}

const (
	dfaDead      = 0
	dfaStart     = 1
	maxDFAStates = 1 << 16
	maxPatterns  = 16
)

var errEmptyWidth = errors.New("pattern has an empty-width assertion")

// digitInst is one NFA instruction of the union of the compiled patterns.
type digitInst struct {
	op   syntax.InstOp
	out  uint32
	arg  uint32
	mask uint16 // for rune instructions: the digits it consumes
	pat  uint8  // for InstMatch: which pattern matched
}

// compileDigitProg parses a pattern the way regexp.Compile does and returns
// its program.
func compileDigitProg(pattern string) (*syntax.Prog, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, err
	}
	return syntax.Compile(re.Simplify())
}

// runeDigitMask is the set of ASCII digits a rune instruction consumes.
func runeDigitMask(in *syntax.Inst) uint16 {
	var m uint16
	for d := rune(0); d < 10; d++ {
		switch in.Op {
		case syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			m |= 1 << d
		default:
			if in.MatchRune('0' + d) {
				m |= 1 << d
			}
		}
	}
	return m
}

// compileDigitDFA builds the automaton for patterns (pattern i gets accept
// bit i). Each pattern must match whole: anchors are implied, so it must not
// contain ^, $ or \b itself.
func compileDigitDFA(patterns []string) (*digitDFA, error) {
	if len(patterns) > maxPatterns {
		return nil, fmt.Errorf("too many patterns (%d)", len(patterns))
	}
	var insts []digitInst
	var starts []uint32
	for i, p := range patterns {
		prog, err := compileDigitProg(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		base := uint32(len(insts))
		starts = append(starts, base+uint32(prog.Start))
		for _, in := range prog.Inst {
			di := digitInst{op: in.Op, out: base + in.Out, arg: base + in.Arg, pat: uint8(i)}
			switch in.Op {
			case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				di.mask = runeDigitMask(&in)
			case syntax.InstEmptyWidth:
				return nil, fmt.Errorf("pattern %q: %w", p, errEmptyWidth)
			}
			insts = append(insts, di)
		}
	}

	b := dfaBuilder{insts: insts, mark: make([]uint32, len(insts)), index: map[string]uint16{}}
	d := &digitDFA{}
	// State 0: dead. It has no key so nothing maps to it by lookup.
	d.next = append(d.next, make([]uint16, 10)...)
	d.accept = append(d.accept, 0)
	var sets [][]uint32
	sets = append(sets, nil)

	start, acc := b.closure(starts)
	if _, err := b.add(d, &sets, start, acc); err != nil {
		return nil, err
	}
	for s := 1; s < len(sets); s++ {
		for digit := 0; digit < 10; digit++ {
			var targets []uint32
			for _, pc := range sets[s] {
				if insts[pc].mask&(1<<digit) != 0 {
					targets = append(targets, insts[pc].out)
				}
			}
			set, acc := b.closure(targets)
			t, err := b.add(d, &sets, set, acc)
			if err != nil {
				return nil, err
			}
			d.next[s*10+digit] = t
		}
	}
	d.live = liveness(d, len(patterns))
	return d, nil
}

type dfaBuilder struct {
	insts []digitInst
	mark  []uint32
	gen   uint32
	index map[string]uint16
	key   []byte
}

// closure follows the empty moves from pcs and returns the sorted set of
// instructions that consume a digit, plus the patterns that matched.
func (b *dfaBuilder) closure(pcs []uint32) ([]uint32, uint16) {
	b.gen++
	var out []uint32
	var acc uint16
	stack := append([]uint32(nil), pcs...)
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if b.mark[pc] == b.gen {
			continue
		}
		b.mark[pc] = b.gen
		in := &b.insts[pc]
		switch in.op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.arg, in.out)
		case syntax.InstCapture, syntax.InstNop:
			stack = append(stack, in.out)
		case syntax.InstMatch:
			acc |= 1 << in.pat
		case syntax.InstFail:
		default: // consumes a digit
			if in.mask != 0 {
				out = append(out, pc)
			}
		}
	}
	slices.Sort(out)
	return out, acc
}

func (b *dfaBuilder) add(d *digitDFA, sets *[][]uint32, set []uint32, acc uint16) (uint16, error) {
	if len(set) == 0 && acc == 0 {
		return dfaDead, nil
	}
	b.key = b.key[:0]
	b.key = binary.LittleEndian.AppendUint16(b.key, acc)
	for _, pc := range set {
		b.key = binary.LittleEndian.AppendUint32(b.key, pc)
	}
	if s, ok := b.index[string(b.key)]; ok {
		return s, nil
	}
	s := len(*sets)
	if s >= maxDFAStates {
		return 0, fmt.Errorf("automaton exceeds %d states", maxDFAStates)
	}
	b.index[string(b.key)] = uint16(s)
	*sets = append(*sets, set)
	d.next = append(d.next, make([]uint16, 10)...)
	d.accept = append(d.accept, acc)
	return uint16(s), nil
}

// liveness computes, per state, the patterns that can still accept after at
// least one more digit (a fixed point over the reversed edges).
func liveness(d *digitDFA, npat int) []uint16 {
	n := len(d.accept)
	live := make([]uint16, n)
	for changed := true; changed; {
		changed = false
		for s := n - 1; s >= 1; s-- {
			var l uint16
			for digit := 0; digit < 10; digit++ {
				t := d.next[s*10+digit]
				l |= d.accept[t] | live[t]
			}
			if l != live[s] {
				live[s] = l
				changed = true
			}
		}
	}
	return live
}

// run walks digits and returns the accept bits of the state reached.
func (d *digitDFA) run(digits []byte) uint16 {
	s := uint16(dfaStart)
	next := d.next
	for _, c := range digits {
		s = next[int(s)*10+int(c-'0')]
		if s == dfaDead {
			return 0
		}
	}
	return d.accept[s]
}

// prefixMatch reports whether pattern bit matches some prefix of digits
// (the empty prefix included), stopping as soon as the answer is known.
func (d *digitDFA) prefixMatch(digits []byte, bit uint16) bool {
	s := uint16(dfaStart)
	for _, c := range digits {
		if d.accept[s]&bit != 0 {
			return true
		}
		if d.live[s]&bit == 0 {
			return false
		}
		s = d.next[int(s)*10+int(c-'0')]
	}
	return d.accept[s]&bit != 0
}

// matchEnds returns the ends of the prefixes of digits that pattern bit
// matches: the first one and how many there are.
func (d *digitDFA) matchEnds(digits []byte, bit uint16) (first, count int) {
	s := uint16(dfaStart)
	first = -1
	for i := 0; ; i++ {
		if d.accept[s]&bit != 0 {
			if count == 0 {
				first = i
			}
			count++
		}
		if i == len(digits) || d.live[s]&bit == 0 {
			return first, count
		}
		s = d.next[int(s)*10+int(digits[i]-'0')]
	}
}
