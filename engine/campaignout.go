package engine

import (
	"bufio"
	"io"
	"strings"

	"github.com/hushcrm/hush/suppression"
)

// WriteFinal writes the run's final list as CSV (header
// customer_id,contact_point,name), in customer id order, and returns the
// rows written.
func (rp *RunPlan) WriteFinal(w io.Writer) (uint64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("customer_id,contact_point,name\n")
	var rows uint64
	line := make([]byte, 0, 256)
	buf := make([]uint64, 4096)
	it := rp.Plan.Final.ManyIterator()
	for {
		n := it.NextMany(buf)
		if n == 0 {
			break
		}
		for _, id := range buf[:n] {
			c, ok := rp.Directory.Get(uint32(id))
			if !ok {
				continue // not in the directory: no_contact_point took it out
			}
			line = appendCSV(line[:0], c.ExternalID)
			line = append(line, ',')
			if rp.Spec.Channel == suppression.Call || rp.Spec.Channel == suppression.SMS {
				line = c.AppendContactPoint(line, rp.Spec.Channel) // +digits: never needs quoting
			} else {
				line = appendCSV(line, c.ContactPoint(rp.Spec.Channel))
			}
			line = append(line, ',')
			line = appendCSV(line, c.Name)
			line = append(line, '\n')
			if _, err := bw.Write(line); err != nil {
				return rows, err
			}
			rows++
		}
	}
	return rows, bw.Flush()
}

// WriteSuppressed writes every suppressed customer with every reason that
// applies to it (header customer_id,hush_reasons; reasons joined by ';').
func (rp *RunPlan) WriteSuppressed(w io.Writer) (uint64, error) {
	name := rp.Name
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("customer_id,hush_reasons\n")
	labels := rp.ReasonLabels()
	// Labels are built from identifiers (list names, sources, purposes):
	// a label that would need quoting is quoted whole, the rest joined as
	// they are.
	quote := false
	for _, l := range labels {
		quote = quote || needsQuote(l)
	}
	var rows uint64
	line := make([]byte, 0, 256)
	var rs []byte
	err := rp.Plan.EachSuppressed(func(id uint64, reasons []int) error {
		line = appendCSV(line[:0], name(uint32(id)))
		line = append(line, ',')
		rs = rs[:0]
		for i, r := range reasons {
			if i > 0 {
				rs = append(rs, ';')
			}
			rs = append(rs, labels[r]...)
		}
		if quote {
			line = appendCSV(line, string(rs))
		} else {
			line = append(line, rs...)
		}
		line = append(line, '\n')
		rows++
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return rows, err
	}
	return rows, bw.Flush()
}

func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

func appendCSV(dst []byte, s string) []byte {
	if needsQuote(s) {
		dst = append(dst, '"')
		dst = append(dst, strings.ReplaceAll(s, `"`, `""`)...)
		return append(dst, '"')
	}
	return append(dst, s...)
}
