package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/purchases"
	"github.com/hushcrm/hush/rfm"
)

// purchaseFlags are the flags of every command that reads a purchase
// file (ingest purchases, rfm --events).
type purchaseFlags struct {
	mapping, delimiter, format, dateFormat string
	currency, thousands, decimal           string
	symbols, noHeader                      bool
	rejected                               string
}

func (p *purchaseFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.mapping, "map", "", "columns: customer=COL,date=COL,amount=COL[,order=COL][,currency=COL][,return=COL] (COL: header name or 1-based number; default: columns of those names)")
	fs.StringVar(&p.delimiter, "delimiter", ",", "field delimiter: one character, 'tab', or 'whitespace' (runs of spaces, as in CDNOW files)")
	fs.StringVar(&p.format, "input-format", "", "csv or ndjson (default: ndjson for .ndjson/.jsonl files, else csv)")
	fs.StringVar(&p.dateFormat, "date-format", "auto", "auto (ISO 8601 date or date-time, YYYYMMDD, Unix seconds), iso, yyyymmdd or unix")
	fs.StringVar(&p.currency, "currency", "USD", "the currency amounts are in; rows whose currency column names another are rejected (env HUSH_CURRENCY)")
	fs.StringVar(&p.thousands, "thousands", "", "thousands separator to accept in amounts: ',', '.', ' ' or \"'\" (default: none; amounts with one are rejected)")
	fs.StringVar(&p.decimal, "decimal", ".", "decimal separator of amounts")
	fs.BoolVar(&p.symbols, "currency-symbols", false, "accept a currency symbol or code around amounts ($12, 12 EUR)")
	fs.BoolVar(&p.noHeader, "no-header", false, "the file has no header row (map columns by number)")
	fs.StringVar(&p.rejected, "rejected", "", "rejected rows with hush_line and hush_reason (default ./FILE.rejected.csv; written only when a row is rejected)")
	if v := os.Getenv("HUSH_CURRENCY"); v != "" {
		p.currency = v
	}
}

func (p *purchaseFlags) source(path string) (*purchases.Source, error) {
	s := &purchases.Source{Path: path}
	base := strings.TrimSuffix(path, ".gz")
	switch p.format {
	case "":
		s.NDJSON = strings.HasSuffix(base, ".ndjson") || strings.HasSuffix(base, ".jsonl")
	case "csv":
	case "ndjson", "jsonl":
		s.NDJSON = true
	default:
		return nil, userErr("--input-format %q: want csv or ndjson", p.format)
	}
	switch p.delimiter {
	case "whitespace", "space", "ws":
		s.CSV.Whitespace = true
	default:
		d, err := parseDelimiter(p.delimiter)
		if err != nil {
			return nil, err
		}
		s.CSV.Delimiter = d
	}
	s.CSV.Header = !p.noHeader
	s.CSV.MaxRecordLines = 16
	m, err := csvio.ParseMapping(p.mapping)
	if err != nil {
		return nil, &userError{fmt.Errorf("--map: %w", err)}
	}
	for k := range m {
		if !contains(rfm.FieldNames, k) {
			return nil, userErr("--map: unknown field %q (want %s)", k, strings.Join(rfm.FieldNames, ", "))
		}
	}
	s.Mapping = m
	df, err := rfm.ParseDateFormat(p.dateFormat)
	if err != nil {
		return nil, &userError{fmt.Errorf("--date-format: %w", err)}
	}
	cur := strings.ToUpper(strings.TrimSpace(p.currency))
	if len(cur) != 3 {
		return nil, userErr("--currency %q: want an ISO 4217 code such as USD, EUR, JPY", p.currency)
	}
	s.Exponent = rfm.CurrencyExponent(cur)
	af := rfm.AmountFormat{Exponent: s.Exponent, Symbols: p.symbols}
	if p.decimal != "" {
		if len(p.decimal) != 1 {
			return nil, userErr("--decimal %q: want one character", p.decimal)
		}
		af.Decimal = p.decimal[0]
	}
	if p.thousands != "" {
		if len(p.thousands) != 1 || !strings.Contains(",. '", p.thousands) {
			return nil, userErr("--thousands %q: want ',', '.', ' ' or \"'\"", p.thousands)
		}
		af.Thousands = p.thousands[0]
		if af.Thousands == af.Decimal || (af.Decimal == 0 && af.Thousands == '.') {
			return nil, userErr("--thousands %q is also the decimal separator (set --decimal)", p.thousands)
		}
	}
	s.Parser = rfm.RowParser{Dates: df, Amounts: af, Currency: cur}
	return s, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lazyOut is an output file created on the first write, so a run without
// rejected rows leaves no empty rejected file behind.
type lazyOut struct {
	path string
	o    *outFile
	err  error
}

func (l *lazyOut) Write(p []byte) (int, error) {
	if l.o == nil && l.err == nil {
		l.o, l.err = createOut(l.path)
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.o.Write(p)
}

func (l *lazyOut) commit() error {
	if l.o == nil {
		return l.err
	}
	return l.o.commit()
}

func (l *lazyOut) discard() { l.o.discard() }

func (l *lazyOut) used() bool { return l.o != nil }

// defaultRejected names the rejected file of an input in the current
// directory: inputs are often on read-only or shared storage.
func defaultRejected(path string) string {
	base := filepath.Base(strings.TrimSuffix(path, ".gz"))
	for _, ext := range []string{".csv", ".ndjson", ".jsonl", ".txt", ".tsv"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base + ".rejected.csv"
}
