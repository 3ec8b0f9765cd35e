package segments

import (
	"errors"
	"fmt"
	"strings"
)

// NameError: the expression names a set or attribute that does not exist.
type NameError struct {
	Pos  int
	Name string
	Msg  string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("segment expression: column %d: %s", e.Pos+1, e.Msg)
}

// TypeError: a value is used where it does not fit, such as a number
// attribute where a set is expected ("monetary AND rfm:lost").
type TypeError struct {
	Pos int
	Msg string
}

func (e *TypeError) Error() string {
	return fmt.Sprintf("segment expression: column %d: type error: %s", e.Pos+1, e.Msg)
}

// Catalog says which names exist. Resolvers implement it.
type Catalog interface {
	// HasSet reports whether the named set exists.
	HasSet(ns Namespace, name string) bool
	// SetNames lists the sets of a namespace, for error messages.
	SetNames(ns Namespace) []string
	// HasAttribute reports whether the attribute has an index (RFM has
	// been scored).
	HasAttribute(a Attribute) bool
}

// Check reports every unknown name and type error in n, joined (each is a
// *NameError or *TypeError), or nil.
func Check(n Node, c Catalog) error {
	var errs []error
	walk(n, func(n Node) {
		switch n := n.(type) {
		case *Attr:
			errs = append(errs, &TypeError{Pos: n.Offset, Msg: fmt.Sprintf("%s is a number, not a set of customers: compare it (e.g. %s >= 1) to use it with AND, OR or NOT", n.Name, n.Name)})
		case *Compare:
			if !c.HasAttribute(n.Attr) {
				errs = append(errs, &NameError{Pos: n.Offset, Name: string(n.Attr), Msg: fmt.Sprintf("attribute %s has no index yet (run hush rfm to score customers)", n.Attr)})
			}
		case *Ref:
			if !c.HasSet(n.NS, n.Name) {
				msg := fmt.Sprintf("unknown %s %q", nsNoun(n.NS), n.Name)
				if names := c.SetNames(n.NS); len(names) > 0 {
					if len(names) > 12 {
						names = append(names[:12:12], "…")
					}
					msg += " (known: " + strings.Join(names, ", ") + ")"
				} else {
					msg += fmt.Sprintf(" (there are no %s sets)", n.NS)
				}
				errs = append(errs, &NameError{Pos: n.Offset, Name: n.String(), Msg: msg})
			}
		}
	})
	return errors.Join(errs...)
}

func nsNoun(ns Namespace) string {
	switch ns {
	case NSRFM:
		return "RFM segment"
	case NSSegment:
		return "segment"
	case NSList:
		return "list"
	case NSConsent:
		return "consent list"
	}
	return string(ns)
}

// Compile parses and checks src.
func Compile(src string, c Catalog) (Node, error) {
	n, err := Parse(src)
	if err != nil {
		return nil, err
	}
	if err := Check(n, c); err != nil {
		return nil, err
	}
	return n, nil
}
