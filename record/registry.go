package record

import "fmt"

// kind describes one record type: its name in logs and errors, and how to
// make an empty value to decode into.
type kind struct {
	name string
	zero func() Record
}

// kinds holds every record type this binary can read. It is filled once by
// register calls in init functions (one per file that defines records) and
// only read afterwards. The type numbers are part of the on-disk format:
// foundation 1–19, HTTP API / keys / access log 20–39, purchases / RFM
// 40–59, segments / campaigns / customers / contact history 60–79.
var kinds = map[Type]kind{}

// register adds a record type. A number or name used twice is a programming
// error caught by the first test that runs, so it panics.
func register(t Type, name string, zero func() Record) {
	if t == 0 {
		panic("record: type 0 is reserved")
	}
	if k, ok := kinds[t]; ok {
		panic(fmt.Sprintf("record: type %d registered twice (%s, %s)", t, k.name, name))
	}
	for other, k := range kinds {
		if k.name == name {
			panic(fmt.Sprintf("record: name %q registered twice (types %d, %d)", name, other, t))
		}
	}
	if got := zero().Type(); got != t {
		panic(fmt.Sprintf("record: %s registered as type %d but its Type() is %d", name, t, got))
	}
	kinds[t] = kind{name: name, zero: zero}
}

func init() {
	register(TypeInit, "init", func() Record { return &Init{} })
	register(TypeListCreate, "list_create", func() Record { return &ListCreate{} })
	register(TypeListDelete, "list_delete", func() Record { return &ListDelete{} })
	register(TypeImportBegin, "import_begin", func() Record { return &ImportBegin{} })
	register(TypeImportChunk, "import_chunk", func() Record { return &ImportChunk{} })
	register(TypeImportCommit, "import_commit", func() Record { return &ImportCommit{} })
	register(TypeImportAbort, "import_abort", func() Record { return &ImportAbort{} })
	register(TypeOptOut, "optout", func() Record { return &OptOut{} })
}
