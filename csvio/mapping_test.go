package csvio

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestParseMapping(t *testing.T) {
	cases := []struct {
		spec string
		want map[string]string
		err  string
	}{
		{"phone=Tel,email=3,customer=cust_id", map[string]string{"phone": "Tel", "email": "3", "customer": "cust_id"}, ""},
		{" Phone = Tel Nr , EMAIL=3 ", map[string]string{"phone": "Tel Nr", "email": "3"}, ""},
		{"phone", map[string]string{"phone": "phone"}, ""},
		{"", map[string]string{}, ""},
		{"   ", map[string]string{}, ""},
		{"phone=", nil, `want field=column, got "phone="`},
		{"=Tel", nil, `want field=column, got "=Tel"`},
		{"phone=Tel,,email=3", nil, `want field=column, got ""`},
		{"phone=Tel,phone=3", nil, `field "phone" mapped twice`},
		{"phone=0", nil, "column number 0 for phone must be 1 or more"},
		{"phone=99999999999999999999", nil, "must be 1 or more"},
	}
	for _, c := range cases {
		got, err := ParseMapping(c.spec)
		if c.err != "" {
			if !errors.Is(err, ErrBadMapping) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseMapping(%q): err %v, want %q", c.spec, err, c.err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, c.want) {
			t.Errorf("ParseMapping(%q) = %v, %v; want %v", c.spec, got, err, c.want)
		}
	}
}

func TestResolveColumns(t *testing.T) {
	header := []string{"cust_id", " Tel ", "E-Mail", "Address", "phone"}
	allowed := []string{"customer", "phone", "email", "address"}
	cases := []struct {
		name    string
		header  []string
		spec    string
		allowed []string
		want    map[string]int
		err     error
		msg     string
	}{
		{
			name: "by name case-insensitive and trimmed, by number, implicit same-name",
			spec: "phone=tel,email=3,customer=CUST_ID", header: header, allowed: allowed,
			want: map[string]int{"phone": 1, "email": 2, "customer": 0, "address": 3},
		},
		{
			name: "explicit mapping wins over a same-name column",
			spec: "phone=Tel", header: header, allowed: allowed,
			want: map[string]int{"phone": 1, "address": 3},
		},
		{
			name: "same-name column used when not mapped",
			spec: "", header: header, allowed: allowed,
			want: map[string]int{"phone": 4, "address": 3},
		},
		{
			name: "missing column names it and lists the header",
			spec: "phone=Telephone", header: header, allowed: allowed,
			err: ErrMissingColumn, msg: `column "Telephone" (for phone) not found; header: cust_id,  Tel , E-Mail, Address, phone`,
		},
		{
			name: "number out of range",
			spec: "email=9", header: header, allowed: allowed,
			err: ErrMissingColumn, msg: "column 9 (for email) is out of range: the file has 5 columns",
		},
		{
			name: "unknown field",
			spec: "fax=2", header: header, allowed: allowed,
			err: ErrBadMapping, msg: `unknown field "fax"`,
		},
		{
			name: "ambiguous name",
			spec: "phone=x", header: []string{"x", "X "}, allowed: allowed,
			err: ErrBadMapping, msg: "matches header columns 1 and 2",
		},
		{
			name: "no header: numbers only, unchecked",
			spec: "phone=7", header: nil, allowed: allowed,
			want: map[string]int{"phone": 6},
		},
		{
			name: "no header: names cannot resolve",
			spec: "phone=Tel", header: nil, allowed: allowed,
			err: ErrMissingColumn,
		},
		{
			name: "nil allowed accepts any field",
			spec: "anything=2", header: header, allowed: nil,
			want: map[string]int{"anything": 1},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseMapping(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ResolveColumns(c.header, m, c.allowed)
			if c.err != nil {
				if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("err %v, want %v containing %q", err, c.err, c.msg)
				}
				return
			}
			if err != nil || !maps.Equal(got, c.want) {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestReaderResolveColumnsNamesFile(t *testing.T) {
	r, err := NewReader(strings.NewReader("customer,Tel\nC1,1\n"), "campaign-2024.csv", Options{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ParseMapping("phone=Telephone")
	_, err = r.ResolveColumns(m, []string{"customer", "phone"})
	var mc *MissingColumnError
	if !errors.As(err, &mc) || !errors.Is(err, ErrMissingColumn) {
		t.Fatalf("err %v", err)
	}
	want := `campaign-2024.csv: column "Telephone" (for phone) not found; header: customer, Tel`
	if err.Error() != want || mc.Field != "phone" || mc.Column != "Telephone" {
		t.Fatalf("err %q, want %q", err, want)
	}
	m, _ = ParseMapping("phone=tel")
	cols, err := r.ResolveColumns(m, []string{"customer", "phone"})
	if err != nil || cols["phone"] != 1 || cols["customer"] != 0 {
		t.Fatalf("cols %v err %v", cols, err)
	}
	m, _ = ParseMapping("fax=1")
	if _, err := r.ResolveColumns(m, []string{"phone"}); !errors.Is(err, ErrBadMapping) || !strings.HasPrefix(err.Error(), "campaign-2024.csv: ") {
		t.Fatalf("err %v", err)
	}
}
