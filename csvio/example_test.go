package csvio_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hushcrm/hush/csvio"
)

// Read rows one at a time; rows with problems go to a rejected output with
// their reason, untouched.
func Example() {
	in := "customer,Tel\nC1,021 6234-5678\nC2\nC3,\"+86 21 6234 5678\"\n"
	r, err := csvio.NewReader(strings.NewReader(in), "campaign.csv", csvio.Options{Header: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	mapping, _ := csvio.ParseMapping("phone=tel")
	cols, err := r.ResolveColumns(mapping, []string{"customer", "phone"})
	if err != nil {
		fmt.Println(err)
		return
	}
	rejected := csvio.NewWriter(os.Stdout)
	defer rejected.Flush()
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		var rowErr *csvio.RowError
		if errors.As(err, &rowErr) {
			rejected.WriteRawWith(row.Raw, "bad_row", rowErr.Error())
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("line %d: %s %s\n", row.Line, row.Fields[cols["customer"]], row.Fields[cols["phone"]])
	}
	// Output:
	// line 2: C1 021 6234-5678
	// line 4: C3 +86 21 6234 5678
	// C2,bad_row,"campaign.csv:3: wrong number of fields: want 2, got 1"
}

// Batches own their bytes, so one goroutine can read while another works;
// the batches go round between them.
func ExampleReader_ReadBatch() {
	var b strings.Builder
	b.WriteString("customer,phone\n")
	for i := 0; i < 10_000; i++ {
		fmt.Fprintf(&b, "C%d,%d\n", i, 13800000000+i)
	}
	b.WriteString("C-bad\n")
	r, err := csvio.NewReader(strings.NewReader(b.String()), "campaign.csv", csvio.Options{Header: true})
	if err != nil {
		fmt.Println(err)
		return
	}

	free := make(chan *csvio.Batch, 2)
	full := make(chan *csvio.Batch, 2)
	free <- new(csvio.Batch)
	free <- new(csvio.Batch)
	go func() {
		defer close(full)
		for batch := range free {
			if err := r.ReadBatch(batch, 1024); err != nil {
				return // io.EOF, or a read error to report
			}
			full <- batch
		}
	}()
	rows, bad, digits := 0, 0, 0
	for batch := range full {
		for i := 0; i < batch.Len(); i++ {
			row := batch.Row(i)
			rows++
			if row.Err != nil {
				bad++
				continue
			}
			digits += len(row.Field(1))
		}
		free <- batch
	}
	close(free)
	fmt.Println(rows, "rows,", bad, "bad,", digits, "digits")
	// Output: 10001 rows, 1 bad, 110000 digits
}
