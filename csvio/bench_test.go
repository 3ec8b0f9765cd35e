package csvio

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"testing"
)

// genCampaign makes a campaign file of n rows with the columns
// customer,phone,email,address. Every quoteEvery-th row (0: none) has an
// address with a comma and a doubled quote, so it needs quoting.
func genCampaign(n, quoteEvery int) []byte {
	return genCampaignQ(n, quoteEvery, false)
}

// genAllQuoted is genCampaign the way spreadsheet exports write it: every
// field quoted.
func genAllQuoted(n int) []byte { return genCampaignQ(n, 0, true) }

func genCampaignQ(n, quoteEvery int, all bool) []byte {
	if all {
		var w bytes.Buffer
		cw := NewWriter(&w)
		r, _ := NewReader(bytes.NewReader(genCampaignQ(n, 0, false)), "", Options{})
		q := func(f []byte) []byte { return append(append([]byte{'"'}, f...), '"') }
		for {
			row, err := r.Read()
			if err != nil {
				break
			}
			cw.WriteRaw(bytes.Join([][]byte{q(row.Fields[0]), q(row.Fields[1]), q(row.Fields[2]), q(row.Fields[3])}, []byte(",")))
		}
		cw.Flush()
		return w.Bytes()
	}
	var b bytes.Buffer
	b.WriteString("customer,phone,email,address\n")
	var num []byte
	for i := 0; i < n; i++ {
		num = strconv.AppendInt(num[:0], int64(i), 10)
		b.WriteString("C")
		b.Write(num)
		b.WriteString(",+86138")
		b.WriteString(strconv.Itoa(10000000 + i%90000000))
		b.WriteString(",user")
		b.Write(num)
		b.WriteString("@example.com,")
		if quoteEvery > 0 && i%quoteEvery == 0 {
			b.WriteString(`"Room `)
			b.Write(num)
			b.WriteString(`, ""Golden"" Tower, Nanjing Road"`)
		} else {
			b.Write(num)
			b.WriteString(" Nanjing Road Shanghai")
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

const benchRows = 200_000

func BenchmarkReadBatch(b *testing.B) {
	for _, c := range []struct {
		name       string
		quoteEvery int
	}{{"unquoted", 0}, {"quoted10pct", 10}, {"allquoted", -1}} {
		data := genCampaign(benchRows, c.quoteEvery)
		if c.quoteEvery < 0 {
			data = genAllQuoted(benchRows)
		}
		b.Run("csvio/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var batch Batch
			rows := 0
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), "bench.csv", Options{Header: true})
				if err != nil {
					b.Fatal(err)
				}
				for {
					err := r.ReadBatch(&batch, 4096)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					for i := 0; i < batch.Len(); i++ {
						if row := batch.Row(i); row.Err != nil {
							b.Fatal(row.Err)
						}
					}
					rows += batch.Len()
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run("csvio-Read/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), "bench.csv", Options{Header: true})
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					rows++
				}
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run("encoding-csv/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				r := csv.NewReader(bytes.NewReader(data))
				r.ReuseRecord = true
				for {
					_, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					rows++
				}
				rows-- // header
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
