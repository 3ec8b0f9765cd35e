package csvio

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestNDJSONReader(t *testing.T) {
	in := "\ufeff{\"Cust\":\"a\",\"amount\":12.50,\"n\":null}\n\n" +
		"{\"cust\":\"b\\u00e9\",\"amount\":\"3\"}\r\n" +
		"[1,2]\n" +
		"{\"cust\":{\"x\":1}}\n" +
		"{\"cust\":\"c\"}"
	r := NewNDJSONReader(strings.NewReader(in), "t.ndjson", []string{"cust", "amount", "n"}, 0)
	type row struct {
		line   int64
		fields []string
		bad    bool
	}
	var got []row
	for {
		rw, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		x := row{line: rw.Line, bad: rw.Err != nil}
		for i := 0; i < rw.NumFields(); i++ {
			x.fields = append(x.fields, string(rw.Field(i)))
		}
		got = append(got, x)
	}
	want := []row{
		{1, []string{"a", "12.50", ""}, false},
		{3, []string{"bé", "3", ""}, false},
		{4, nil, true},
		{5, nil, true},
		{6, []string{"c", "", ""}, false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].line != want[i].line || got[i].bad != want[i].bad || strings.Join(got[i].fields, "|") != strings.Join(want[i].fields, "|") {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if st := r.Stats(); st.Rows != 5 || st.Errors != 2 || st.BlankLines != 1 {
		t.Errorf("stats %+v", st)
	}
}

func FuzzNDJSONReader(f *testing.F) {
	f.Add("{\"a\":1}\n{\"a\":\"x\"}\n")
	f.Add("not json\n\n{}")
	f.Add("{\"a\":[1]}\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		r := NewNDJSONReader(strings.NewReader(s), "f", []string{"a", "b"}, 1<<10)
		lines := int64(0)
		for {
			rw, err := r.Read()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				break
			}
			if rw.Line <= lines {
				t.Fatalf("line %d after %d", rw.Line, lines)
			}
			lines = rw.Line
			if rw.Err == nil && rw.NumFields() != 2 {
				t.Fatalf("good row with %d fields", rw.NumFields())
			}
		}
	})
}
