package csvio

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ParseMapping parses a column mapping spec such as
// "phone=Tel,email=3,customer=cust_id" into field → column. Field names are
// trimmed and lower-cased; a column is a header name or a 1-based number. A
// bare "phone" means "phone=phone". An empty spec is an empty mapping.
func ParseMapping(spec string) (map[string]string, error) {
	m := make(map[string]string)
	if strings.TrimSpace(spec) == "" {
		return m, nil
	}
	for _, part := range strings.Split(spec, ",") {
		field, col, found := strings.Cut(part, "=")
		field = strings.ToLower(strings.TrimSpace(field))
		col = strings.TrimSpace(col)
		if !found {
			col = field
		}
		if field == "" || col == "" {
			return nil, fmt.Errorf("%w: %q: want field=column, got %q", ErrBadMapping, spec, strings.TrimSpace(part))
		}
		if _, dup := m[field]; dup {
			return nil, fmt.Errorf("%w: %q: field %q mapped twice", ErrBadMapping, spec, field)
		}
		if isNumber(col) {
			if n, err := strconv.Atoi(col); err != nil || n < 1 {
				return nil, fmt.Errorf("%w: %q: column number %s for %s must be 1 or more", ErrBadMapping, spec, col, field)
			}
		}
		m[field] = col
	}
	return m, nil
}

// ResolveColumns turns a mapping (from ParseMapping) into field → 0-based
// column index. A column given by name matches a header field
// case-insensitively after trimming; by number it is 1-based. Fields of
// allowed that the mapping does not mention are mapped to the header column
// of the same name when there is one, and left out otherwise: the caller
// decides which fields are required. A nil allowed accepts any field and
// maps nothing implicitly.
//
// A mapped column that is not in the header is a *MissingColumnError
// (ErrMissingColumn) naming it and listing the header. Without a header
// (nil), only numbers can be resolved and are not range-checked.
func ResolveColumns(header []string, mapping map[string]string, allowed []string) (map[string]int, error) {
	ok := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		ok[strings.ToLower(a)] = true
	}
	// Sorted so that the error for a spec with several problems is stable.
	fields := make([]string, 0, len(mapping))
	for f := range mapping {
		fields = append(fields, f)
	}
	sort.Strings(fields)

	cols := make(map[string]int, len(mapping)+len(allowed))
	for _, field := range fields {
		col := mapping[field]
		if allowed != nil && !ok[strings.ToLower(field)] {
			return nil, fmt.Errorf("%w: unknown field %q (allowed: %s)", ErrBadMapping, field, strings.Join(allowed, ", "))
		}
		i, err := findColumn(header, field, col)
		if err != nil {
			return nil, err
		}
		cols[field] = i
	}
	if header != nil {
		for _, a := range allowed {
			if _, done := mapping[a]; done {
				continue
			}
			if i, err := findColumn(header, a, a); err == nil {
				cols[a] = i
			} else if _, missing := err.(*MissingColumnError); !missing {
				return nil, err
			}
		}
	}
	return cols, nil
}

func findColumn(header []string, field, col string) (int, error) {
	if isNumber(col) {
		n, err := strconv.Atoi(col)
		if err != nil || n < 1 || (header != nil && n > len(header)) {
			return 0, &MissingColumnError{Field: field, Column: col, Header: header}
		}
		return n - 1, nil
	}
	want := strings.TrimSpace(col)
	found := -1
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), want) {
			if found >= 0 {
				return 0, fmt.Errorf("%w: column %q (for %s) matches header columns %d and %d; map it by number", ErrBadMapping, col, field, found+1, i+1)
			}
			found = i
		}
	}
	if found < 0 {
		return 0, &MissingColumnError{Field: field, Column: col, Header: header}
	}
	return found, nil
}

// ResolveColumns is the package's ResolveColumns on this file's header; a
// missing column error names the file.
func (r *Reader) ResolveColumns(mapping map[string]string, allowed []string) (map[string]int, error) {
	cols, err := ResolveColumns(r.header, mapping, allowed)
	if mc, ok := err.(*MissingColumnError); ok {
		mc.File = r.name
	} else if err != nil {
		err = fmt.Errorf("%s: %w", r.name, err)
	}
	return cols, err
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
