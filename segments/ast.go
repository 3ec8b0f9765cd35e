package segments

import (
	"fmt"
	"strings"
)

// Namespace is the kind of a named customer set.
type Namespace string

// The namespaces a set name may have.
const (
	NSRFM     Namespace = "rfm"     // an RFM segment (rfm:champions)
	NSSegment Namespace = "segment" // a defined segment (segment:complained_2026)
	NSList    Namespace = "list"    // customers suppressed by a deny list, or members of a list
	NSConsent Namespace = "consent" // customers in a consent list
)

// Namespaces lists them in a fixed order.
var Namespaces = []Namespace{NSRFM, NSSegment, NSList, NSConsent}

func (n Namespace) valid() bool {
	for _, v := range Namespaces {
		if n == v {
			return true
		}
	}
	return false
}

// Attribute is a numeric customer attribute.
type Attribute string

// The attributes expressions may compare.
const (
	AttrRecencyDays Attribute = "recency_days"
	AttrFrequency   Attribute = "frequency"
	AttrMonetary    Attribute = "monetary"
	AttrR           Attribute = "r"
	AttrF           Attribute = "f"
	AttrM           Attribute = "m"
)

// Attributes lists them in a fixed order.
var Attributes = []Attribute{AttrRecencyDays, AttrFrequency, AttrMonetary, AttrR, AttrF, AttrM}

func parseAttribute(s string) (Attribute, bool) {
	l := strings.ToLower(s)
	for _, a := range Attributes {
		if string(a) == l {
			return a, true
		}
	}
	return "", false
}

// Op is a comparison operator.
type Op uint8

// Comparison operators.
const (
	OpEQ Op = iota + 1
	OpNE
	OpLT
	OpLE
	OpGT
	OpGE
)

func (o Op) String() string {
	switch o {
	case OpEQ:
		return "="
	case OpNE:
		return "!="
	case OpLT:
		return "<"
	case OpLE:
		return "<="
	case OpGT:
		return ">"
	case OpGE:
		return ">="
	}
	return "?"
}

func parseOp(s string) (Op, bool) {
	switch s {
	case "=", "==":
		return OpEQ, true
	case "!=":
		return OpNE, true
	case "<":
		return OpLT, true
	case "<=":
		return OpLE, true
	case ">":
		return OpGT, true
	case ">=":
		return OpGE, true
	}
	return 0, false
}

// Node is an expression node. Every node evaluates to a customer set.
type Node interface {
	// Pos is the node's byte offset in the source.
	Pos() int
	// String prints the node in canonical form; Parse(n.String()) gives
	// an equal tree.
	String() string
}

// Ref names a customer set: rfm:champions.
type Ref struct {
	NS     Namespace
	Name   string
	Offset int
}

// Attr is a bare attribute name. It is a number, not a set: it is only
// valid as the left side of a Compare, and Check rejects it anywhere else.
type Attr struct {
	Name   Attribute
	Offset int
}

// Compare selects the customers whose attribute compares true with a
// decimal literal: monetary >= 500.
type Compare struct {
	Attr   Attribute
	Op     Op
	Value  Decimal
	Offset int
}

// Not is the complement within the universe of known customers.
type Not struct {
	X      Node
	Offset int
}

// And is the intersection of two or more sets.
type And struct {
	Xs []Node
}

// Or is the union of two or more sets.
type Or struct {
	Xs []Node
}

func (n *Ref) Pos() int     { return n.Offset }
func (n *Attr) Pos() int    { return n.Offset }
func (n *Compare) Pos() int { return n.Offset }
func (n *Not) Pos() int     { return n.Offset }
func (n *And) Pos() int     { return n.Xs[0].Pos() }
func (n *Or) Pos() int      { return n.Xs[0].Pos() }

func (n *Ref) String() string     { return string(n.NS) + ":" + n.Name }
func (n *Attr) String() string    { return string(n.Name) }
func (n *Compare) String() string { return fmt.Sprintf("%s %s %s", n.Attr, n.Op, n.Value) }
func (n *Not) String() string     { return "NOT " + wrap(n.X, 3) }
func (n *And) String() string     { return join(n.Xs, " AND ", 2) }
func (n *Or) String() string      { return join(n.Xs, " OR ", 1) }

// prec is a node's binding strength for printing: OR 1, AND 2, NOT and
// atoms 3.
func prec(n Node) int {
	switch n.(type) {
	case *Or:
		return 1
	case *And:
		return 2
	}
	return 3
}

func wrap(n Node, min int) string {
	if prec(n) < min {
		return "(" + n.String() + ")"
	}
	return n.String()
}

func join(xs []Node, sep string, p int) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteString(sep)
		}
		// Children of equal precedence are wrapped too, so the printed
		// form keeps the tree's shape (a nested And stays nested).
		b.WriteString(wrap(x, p+1))
	}
	return b.String()
}

// Refs returns every set name the expression uses, in order of appearance
// (duplicates kept once).
func Refs(n Node) []Ref {
	var out []Ref
	seen := map[Ref]bool{}
	walk(n, func(n Node) {
		if r, ok := n.(*Ref); ok {
			k := Ref{NS: r.NS, Name: r.Name}
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	})
	return out
}

func walk(n Node, fn func(Node)) {
	fn(n)
	switch n := n.(type) {
	case *Not:
		walk(n.X, fn)
	case *And:
		for _, x := range n.Xs {
			walk(x, fn)
		}
	case *Or:
		for _, x := range n.Xs {
			walk(x, fn)
		}
	}
}
