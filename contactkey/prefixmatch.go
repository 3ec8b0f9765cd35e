package contactkey

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// prefixMatcher answers what libphonenumber asks of its international and
// national prefix patterns: does the pattern match at the start of a string
// of digits, where does that match end, and what did its groups capture —
// with Go regexp's leftmost-first semantics, exactly, and without
// allocating.
//
// Most prefixes are plain literals ("00", "011", "0"), tried in order. Other
// patterns go through a prefix automaton that lists the possible match ends;
// when there is just one, that is the answer. Only when several ends are
// possible, or groups are needed, does a backtracker (a port of the one in
// package regexp) walk the program in priority order.
type prefixMatcher struct {
	literals []string       // non-nil: the pattern is lit1|lit2|... of digits
	dfa      *digitDFA      // prefix automaton (nil if the pattern has anchors)
	prog     []btInst       // backtracking program
	start    uint32         //
	ncap     int            // 2 * (groups + 1)
	re       *regexp.Regexp // the library's own compiled pattern: used when the input is too long for the bit vector
}

type btInst struct {
	op   syntax.InstOp
	out  uint32
	arg  uint32
	mask uint16 // digits consumed by a rune instruction
}

const (
	maxBTCaps    = 16
	maxBTVisited = 64 * 64 // bits of the visited vector kept on the stack
	maxBTJobs    = 256
)

// newPrefixMatcher compiles body as libphonenumber does: as it is for an
// international prefix, as ^(?:body) for a national prefix (anchored).
// Either way only matches starting at 0 count.
func newPrefixMatcher(body string, anchored bool) (*prefixMatcher, error) {
	pattern := body
	if anchored {
		pattern = "^(?:" + body + ")"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	m := &prefixMatcher{re: re, ncap: 2 * (re.NumSubexp() + 1)}
	if m.ncap > maxBTCaps {
		return nil, fmt.Errorf("pattern %q has too many groups", pattern)
	}
	if lits, ok := literalAlternatives(body); ok {
		m.literals = lits
	}
	prog, err := compileDigitProg(pattern)
	if err != nil {
		return nil, err
	}
	m.start = uint32(prog.Start)
	for i := range prog.Inst {
		in := &prog.Inst[i]
		bi := btInst{op: in.Op, out: in.Out, arg: in.Arg}
		switch in.Op {
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			bi.mask = runeDigitMask(in)
		}
		m.prog = append(m.prog, bi)
	}
	// The prefix automaton needs the pattern without its leading ^ (every
	// match here starts at 0 anyway); patterns with other anchors keep
	// only the backtracker.
	if d, err := compileDigitDFA([]string{body}); err == nil {
		m.dfa = d
	}
	return m, nil
}

// literalAlternatives reports whether p is a |-list of digit strings.
func literalAlternatives(p string) ([]string, bool) {
	if p == "" {
		return nil, false
	}
	lits := strings.Split(p, "|")
	for _, l := range lits {
		if l == "" {
			return nil, false
		}
		for i := 0; i < len(l); i++ {
			if l[i] < '0' || l[i] > '9' {
				return nil, false
			}
		}
	}
	return lits, true
}

// matchEnd returns where the leftmost-first match starting at 0 ends.
func (m *prefixMatcher) matchEnd(s []byte) (int, bool) {
	if m.literals != nil {
		for _, l := range m.literals {
			if len(s) >= len(l) && string(s[:len(l)]) == l {
				return len(l), true
			}
		}
		return 0, false
	}
	if m.dfa != nil {
		first, n := m.dfa.matchEnds(s, 1)
		switch n {
		case 0:
			return 0, false
		case 1:
			return first, true
		}
	}
	var caps [maxBTCaps]int
	if !m.match(s, &caps) {
		return 0, false
	}
	return caps[1], true
}

// match runs the leftmost-first search anchored at 0 and fills caps[:ncap]
// (-1 for groups that did not take part).
func (m *prefixMatcher) match(s []byte, caps *[maxBTCaps]int) bool {
	if len(m.prog)*(len(s)+1) > maxBTVisited {
		return m.matchRegexp(s, caps)
	}
	var bt backtracker
	bt.m = m
	bt.s = s
	bt.end = len(s)
	for i := 0; i < m.ncap; i++ {
		bt.cap[i] = -1
		bt.matchcap[i] = -1
	}
	bt.cap[0] = 0
	found := bt.try(m.start, 0)
	if bt.overflow {
		return m.matchRegexp(s, caps)
	}
	if !found {
		return false
	}
	*caps = bt.matchcap
	return true
}

func (m *prefixMatcher) matchRegexp(s []byte, caps *[maxBTCaps]int) bool {
	// A copy, so that s itself never escapes (and the hot path stays off
	// the heap); this path is for oversized inputs only.
	loc := m.re.FindStringSubmatchIndex(string(s))
	if loc == nil || loc[0] != 0 {
		return false
	}
	copy(caps[:], loc)
	return true
}

type btJob struct {
	pc  uint32
	arg bool
	pos int
}

type backtracker struct {
	m        *prefixMatcher
	s        []byte
	end      int
	cap      [maxBTCaps]int
	matchcap [maxBTCaps]int
	visited  [maxBTVisited / 64]uint64
	jobs     [maxBTJobs]btJob // a fixed stack keeps the whole search off the heap
	njobs    int
	overflow bool // the stack was too small: the caller asks package regexp
}

func (b *backtracker) shouldVisit(pc uint32, pos int) bool {
	n := uint(int(pc)*(b.end+1) + pos)
	w, bit := n/64, uint64(1)<<(n%64)
	if b.visited[w]&bit != 0 {
		return false
	}
	b.visited[w] |= bit
	return true
}

func (b *backtracker) push(pc uint32, pos int, arg bool) {
	if b.m.prog[pc].op != syntax.InstFail && (arg || b.shouldVisit(pc, pos)) {
		if b.njobs == len(b.jobs) {
			b.overflow = true
			return
		}
		b.jobs[b.njobs] = btJob{pc: pc, arg: arg, pos: pos}
		b.njobs++
	}
}

// digitAt is the input "rune" at pos: a digit, or -1 past the end.
func (b *backtracker) digitAt(pos int) int {
	if pos >= b.end {
		return -1
	}
	return int(b.s[pos] - '0')
}

func (b *backtracker) context(pos int) syntax.EmptyOp {
	r1, r2 := rune(-1), rune(-1)
	if pos > 0 && pos-1 < b.end {
		r1 = rune(b.s[pos-1])
	}
	if pos < b.end {
		r2 = rune(b.s[pos])
	}
	return syntax.EmptyOpContext(r1, r2)
}

// try mirrors regexp's tryBacktrack for a leftmost-first (non-longest)
// search: the first path to reach a match, in priority order, wins.
func (b *backtracker) try(pc0 uint32, pos0 int) bool {
	prog := b.m.prog
	ncap := b.m.ncap
	b.push(pc0, pos0, false)
	for b.njobs > 0 && !b.overflow {
		b.njobs--
		pc, pos, arg := b.jobs[b.njobs].pc, b.jobs[b.njobs].pos, b.jobs[b.njobs].arg
		goto skip
	checkAndLoop:
		if !b.shouldVisit(pc, pos) {
			continue
		}
	skip:
		switch in := &prog[pc]; in.op {
		case syntax.InstAlt:
			if arg {
				arg = false
				pc = in.arg
				goto checkAndLoop
			}
			b.push(pc, pos, true)
			pc = in.out
			goto checkAndLoop
		case syntax.InstAltMatch:
			switch prog[in.out].op {
			case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				b.push(in.arg, pos, false)
				pc = in.arg
				pos = b.end
				goto checkAndLoop
			}
			b.push(in.out, b.end, false)
			pc = in.out
			goto checkAndLoop
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			d := b.digitAt(pos)
			if d < 0 || in.mask&(1<<d) == 0 {
				continue
			}
			pos++
			pc = in.out
			goto checkAndLoop
		case syntax.InstCapture:
			if arg {
				b.cap[in.arg] = pos
				continue
			}
			if int(in.arg) < ncap {
				b.push(pc, b.cap[in.arg], true)
				b.cap[in.arg] = pos
			}
			pc = in.out
			goto checkAndLoop
		case syntax.InstEmptyWidth:
			if syntax.EmptyOp(in.arg)&^b.context(pos) != 0 {
				continue
			}
			pc = in.out
			goto checkAndLoop
		case syntax.InstNop:
			pc = in.out
			goto checkAndLoop
		case syntax.InstMatch:
			b.cap[1] = pos
			b.matchcap = b.cap
			return true
		default: // InstFail is never pushed
			continue
		}
	}
	return false
}
