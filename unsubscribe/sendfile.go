package unsubscribe

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
)

// SendFileOptions say how to annotate a send file.
type SendFileOptions struct {
	Column     string // the email column (header name or 1-based number; default "email")
	Purpose    string
	Campaign   string
	BaseURL    string // links are BaseURL + "/u/" + token
	Issued     int64
	Secret     []byte
	Normalizer *contactkey.Normalizer
	Hasher     *contactkey.Hasher
	CSV        csvio.Options
	Name       string // input name for errors
}

// Counts of an annotated send file.
type Counts struct {
	Rows     int64 `json:"rows"`
	Minted   int64 `json:"minted"`
	Rejected int64 `json:"rejected"`
}

// AnnotateSendFile copies the send file in to out, adding the columns
// list_unsubscribe (the List-Unsubscribe header value, "<URL>"),
// list_unsubscribe_post ("List-Unsubscribe=One-Click") and hush_reason
// (empty, or why a row got no link: its email does not parse). No row is
// dropped.
func AnnotateSendFile(in io.Reader, out io.Writer, o SendFileOptions) (Counts, error) {
	var cnt Counts
	if o.Column == "" {
		o.Column = "email"
	}
	o.CSV.Header = true
	r, err := csvio.NewReader(in, o.Name, o.CSV)
	if err != nil {
		return cnt, err
	}
	cols, err := r.ResolveColumns(map[string]string{"email": o.Column}, []string{"email"})
	if err != nil {
		return cnt, err
	}
	col := cols["email"]
	w := csvio.NewWriter(out)
	hdr := make([][]byte, 0, len(r.Header())+3)
	for _, h := range r.Header() {
		hdr = append(hdr, []byte(h))
	}
	hdr = append(hdr, []byte("list_unsubscribe"), []byte("list_unsubscribe_post"), []byte("hush_reason"))
	if err := w.WriteRecord(hdr...); err != nil {
		return cnt, err
	}
	base := strings.TrimSuffix(o.BaseURL, "/")
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		var re *csvio.RowError
		if errors.As(err, &re) {
			cnt.Rows++
			cnt.Rejected++
			if werr := w.WriteRawWith(row.Raw, "", "", "bad_row: "+re.Error()); werr != nil {
				return cnt, werr
			}
			continue
		}
		if err != nil {
			return cnt, err
		}
		cnt.Rows++
		fields := append(make([][]byte, 0, len(row.Fields)+3), row.Fields...)
		key, kerr := o.Normalizer.Key(contactkey.KindEmail, row.Fields[col], o.Hasher)
		if kerr != nil {
			cnt.Rejected++
			fields = append(fields, nil, nil, []byte("invalid_email: "+kerr.Error()))
		} else {
			tok, err := Mint(o.Secret, Token{Key: key.V, Purpose: o.Purpose, Campaign: o.Campaign, Issued: o.Issued})
			if err != nil {
				return cnt, err
			}
			cnt.Minted++
			fields = append(fields, []byte("<"+base+"/u/"+tok+">"), []byte("List-Unsubscribe=One-Click"), nil)
		}
		if err := w.WriteRecord(fields...); err != nil {
			return cnt, fmt.Errorf("write send file: %w", err)
		}
	}
	return cnt, w.Flush()
}
