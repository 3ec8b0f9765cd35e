package segments

import (
	"fmt"
	"strings"
)

// tokenKind is the lexical class of a token.
type tokenKind uint8

const (
	tokEOF tokenKind = iota
	tokIdent
	tokRef // namespace:name
	tokNumber
	tokAnd
	tokOr
	tokNot
	tokLParen
	tokRParen
	tokOp // comparison operator
)

func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of input"
	case tokIdent:
		return "attribute name"
	case tokRef:
		return "set name (rfm:…, segment:…, list:…, consent:…)"
	case tokNumber:
		return "number"
	case tokAnd:
		return "AND"
	case tokOr:
		return "OR"
	case tokNot:
		return "NOT"
	case tokLParen:
		return "'('"
	case tokRParen:
		return "')'"
	case tokOp:
		return "comparison operator"
	}
	return "token"
}

// token is one lexeme with its byte offset in the input (0-based; errors
// print it 1-based as a column).
type token struct {
	kind tokenKind
	text string
	pos  int
}

// maxInput bounds an expression: audiences are written by people.
const maxInput = 64 << 10

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits src into tokens, ending with tokEOF.
func lex(src string) ([]token, error) {
	if len(src) > maxInput {
		return nil, &SyntaxError{Pos: maxInput, Msg: fmt.Sprintf("expression longer than %d bytes", maxInput)}
	}
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == '>' || c == '<' || c == '=' || c == '!':
			start := i
			i++
			if i < len(src) && src[i] == '=' {
				i++
			}
			op := src[start:i]
			if op == "!" {
				return nil, &SyntaxError{Pos: start, Msg: "'!' must be followed by '=' (use NOT to negate a set)"}
			}
			toks = append(toks, token{tokOp, op, start})
		case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
			start := i
			i++
			for i < len(src) && (isDigit(src[i]) || src[i] == '.' || src[i] == '_') {
				i++
			}
			if i < len(src) && isNameByte(src[i]) {
				return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("unexpected %q in number", src[i])}
			}
			toks = append(toks, token{tokNumber, src[start:i], start})
		case isNameByte(c):
			start := i
			for i < len(src) && isNameByte(src[i]) {
				i++
			}
			word := src[start:i]
			if i < len(src) && src[i] == ':' {
				i++
				nameStart := i
				for i < len(src) && isNameByte(src[i]) {
					i++
				}
				if i == nameStart {
					return nil, &SyntaxError{Pos: nameStart, Msg: fmt.Sprintf("expected a name after %q", word+":")}
				}
				toks = append(toks, token{tokRef, src[start:i], start})
				continue
			}
			switch strings.ToUpper(word) {
			case "AND":
				toks = append(toks, token{tokAnd, word, start})
			case "OR":
				toks = append(toks, token{tokOr, word, start})
			case "NOT":
				toks = append(toks, token{tokNot, word, start})
			default:
				toks = append(toks, token{tokIdent, word, start})
			}
		case c == '&' || c == '|':
			return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("unexpected %q (write AND, OR)", c)}
		default:
			r := src[i:]
			if len(r) > 4 {
				r = r[:4]
			}
			return nil, &SyntaxError{Pos: i, Msg: fmt.Sprintf("unexpected character %q", []rune(r)[0])}
		}
	}
	toks = append(toks, token{tokEOF, "", len(src)})
	return toks, nil
}
