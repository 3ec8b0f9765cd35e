package segments

import (
	"errors"
	"fmt"
	"strings"
)

// SyntaxError is a lexing or parsing failure at a byte offset.
type SyntaxError struct {
	Pos int    // byte offset (0-based)
	Msg string // what was wrong, and what was expected
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("segment expression: column %d: %s", e.Pos+1, e.Msg)
}

// ErrEmpty: the expression has no content.
var ErrEmpty = errors.New("segment expression is empty")

// maxDepth bounds nesting, so a hostile expression cannot exhaust the
// stack.
const maxDepth = 200

type parser struct {
	toks  []token
	i     int
	depth int
}

// Parse reads an expression. It checks syntax only; see Check for names
// and types.
func Parse(src string) (Node, error) {
	if strings.TrimSpace(src) == "" {
		return nil, ErrEmpty
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokRParen {
			return nil, &SyntaxError{Pos: t.pos, Msg: "unbalanced parentheses: ')' without a matching '('"}
		}
		return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("expected AND, OR or end of input, found %s", describe(t))}
	}
	return n, nil
}

func describe(t token) string {
	if t.kind == tokEOF {
		return "end of input"
	}
	return fmt.Sprintf("%q", t.text)
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxDepth {
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("expression nested deeper than %d", maxDepth)}
	}
	return nil
}

func (p *parser) or() (Node, error) {
	if err := p.enter(p.peek().pos); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	xs := []Node{x}
	for p.peek().kind == tokOr {
		p.next()
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return &Or{Xs: xs}, nil
}

func (p *parser) and() (Node, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	xs := []Node{x}
	for p.peek().kind == tokAnd {
		p.next()
		y, err := p.unary()
		if err != nil {
			return nil, err
		}
		xs = append(xs, y)
	}
	if len(xs) == 1 {
		return x, nil
	}
	return &And{Xs: xs}, nil
}

func (p *parser) unary() (Node, error) {
	if t := p.peek(); t.kind == tokNot {
		p.next()
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Not{X: x, Offset: t.pos}, nil
	}
	return p.primary()
}

const expectOperand = "a set name (rfm:…, segment:…, list:…, consent:…), an attribute comparison (e.g. monetary >= 500), NOT or '('"

func (p *parser) primary() (Node, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		c := p.next()
		if c.kind != tokRParen {
			return nil, &SyntaxError{Pos: c.pos, Msg: fmt.Sprintf("unbalanced parentheses: expected ')' to close '(' at column %d, found %s", t.pos+1, describe(c))}
		}
		return x, nil
	case tokRef:
		ns, name, _ := strings.Cut(t.text, ":")
		ns = strings.ToLower(ns)
		if !Namespace(ns).valid() {
			return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("unknown namespace %q (want rfm, segment, list or consent)", ns)}
		}
		return &Ref{NS: Namespace(ns), Name: name, Offset: t.pos}, nil
	case tokIdent:
		if p.peek().kind == tokOp {
			return p.compare(t)
		}
		// A bare name: an attribute used as a set, or an unknown word.
		// Both are reported by Check with the full picture; keep it.
		a, _ := parseAttribute(t.text)
		if a == "" {
			return nil, &NameError{Pos: t.pos, Name: t.text, Msg: fmt.Sprintf("unknown name %q: sets are written namespace:name (rfm:%s, segment:%s, list:%s), attributes are %s", t.text, t.text, t.text, t.text, attrNames())}
		}
		return &Attr{Name: a, Offset: t.pos}, nil
	case tokNumber:
		return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("expected %s, found number %s (write the attribute first: monetary >= %s)", expectOperand, t.text, t.text)}
	case tokRParen:
		return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("expected %s, found ')'", expectOperand)}
	case tokEOF:
		return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("unexpected end of input: expected %s", expectOperand)}
	}
	return nil, &SyntaxError{Pos: t.pos, Msg: fmt.Sprintf("expected %s, found %s", expectOperand, describe(t))}
}

func (p *parser) compare(name token) (Node, error) {
	opTok := p.next()
	op, _ := parseOp(opTok.text)
	a, ok := parseAttribute(name.text)
	if !ok {
		return nil, &NameError{Pos: name.pos, Name: name.text, Msg: fmt.Sprintf("unknown attribute %q (want one of %s)", name.text, attrNames())}
	}
	v := p.next()
	if v.kind != tokNumber {
		return nil, &SyntaxError{Pos: v.pos, Msg: fmt.Sprintf("expected a number after %s %s, found %s", name.text, opTok.text, describe(v))}
	}
	d, err := ParseDecimal(v.text)
	if err != nil {
		return nil, &SyntaxError{Pos: v.pos, Msg: err.Error()}
	}
	return &Compare{Attr: a, Op: op, Value: d, Offset: name.pos}, nil
}

func attrNames() string {
	s := make([]string, len(Attributes))
	for i, a := range Attributes {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
