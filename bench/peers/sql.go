package peers

import (
	"fmt"
	"strings"

	"github.com/hushcrm/hush/bench"
)

// Dialect is the SQL flavour of a peer.
type Dialect int

const (
	DialectPostgres Dialect = iota
	DialectDuckDB
)

// Patterns shared by both dialects (and by the Go transcription in
// rules_test.go). wordBoundary marks where the dialect's word boundary goes.
const (
	wordBoundary = "\x00"
	// One call folds every abbreviation that is a prefix of its word:
	// street/str → st, avenue → ave, drive → dr, terrace → ter,
	// circle → cir, north → n, south → s, east → e, west → w.
	addrFoldPattern = wordBoundary + `(?:(st)(?:reet|r)|(ave)nue|(dr)ive|(ter)race|(cir)cle|(n)orth|(s)outh|(e)ast|(w)est)` + wordBoundary
	addrFoldRepl    = `\1\2\3\4\5\6\7\8\9`
	nanpPattern     = `^[2-9][0-9]{2}[2-9][0-9]{6}$`
	emailPattern    = `^[^@]+@[^@]+\.[^@]+$`
)

// addrWordFolds are the abbreviations that are not prefixes, one call each.
var addrWordFolds = [][2]string{{"apartment", "apt"}, {"suite", "ste"}}

func (d Dialect) boundary(p string) string {
	if d == DialectPostgres {
		return strings.ReplaceAll(p, wordBoundary, `\y`)
	}
	return strings.ReplaceAll(p, wordBoundary, `\b`)
}

// matches is a boolean "s contains a match of pattern".
func (d Dialect) matches(s, pattern string) string {
	if d == DialectPostgres {
		return fmt.Sprintf("(%s ~ '%s')", s, pattern)
	}
	return fmt.Sprintf("regexp_matches(%s, '%s')", s, pattern)
}

// stage1 selects the raw columns plus the first normalisation step of each
// key from src (a table or table function). keep lists columns to carry.
func (d Dialect) stage1(src string, keep []string) string {
	addr := "regexp_replace(replace(lower(address), '''', ''), '[^a-z0-9]+', ' ', 'g')"
	addr = fmt.Sprintf("regexp_replace(trim(%s), '%s', '%s', 'g')", addr, d.boundary(addrFoldPattern), addrFoldRepl)
	for _, f := range addrWordFolds {
		addr = fmt.Sprintf("regexp_replace(%s, '%s', '%s', 'g')", addr, d.boundary(wordBoundary+f[0]+wordBoundary), f[1])
	}
	cols := append([]string(nil), keep...)
	cols = append(cols,
		"regexp_replace(phone, '[^0-9]', '', 'g') AS ph_digits",
		"coalesce("+d.matches("phone", "[A-Za-z]")+", false) AS ph_letters",
		"nullif(lower(trim(email)), '') AS em",
		"nullif("+addr+", '') AS ad",
		"nullif(trim(customer_id), '') AS cu",
	)
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + src
}

// keys wraps stage1 into the final keys: p (BIGINT 10-digit number or
// NULL), em, ad, cu and bad (the row must be rejected) plus reason.
func (d Dialect) keys(src string, keep []string) string {
	s2 := fmt.Sprintf("SELECT *, CASE WHEN length(ph_digits) = 11 AND left(ph_digits, 1) = '1' THEN substr(ph_digits, 2) ELSE ph_digits END AS p10 FROM (%s) s1", d.stage1(src, keep))
	p := fmt.Sprintf("CASE WHEN NOT ph_letters AND %s AND substr(p10, 2, 2) <> '11' AND substr(p10, 5, 2) <> '11' THEN CAST(p10 AS BIGINT) END", d.matches("p10", nanpPattern))
	badEmail := fmt.Sprintf("(em IS NOT NULL AND NOT %s)", d.matches("em", emailPattern))
	cols := append([]string(nil), keep...)
	cols = append(cols, "p", "em", "ad", "cu",
		"(p IS NULL OR "+badEmail+") AS bad",
		"CASE WHEN p IS NULL THEN 'invalid_phone' WHEN "+badEmail+" THEN 'invalid_email' END AS reason")
	return fmt.Sprintf("SELECT %s FROM (SELECT *, %s AS p FROM (%s) s2) s3", strings.Join(cols, ", "), p, s2)
}

// keyColumn is the normalised key column of a list kind.
func keyColumn(kind string) string {
	switch kind {
	case "email":
		return "em"
	case "address":
		return "ad"
	case "customer":
		return "cu"
	}
	return "p"
}

func tableName(list string) string { return "l_" + list }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Step is one named statement of a script.
type Step struct {
	Name string
	SQL  string
}

// listColumns names a list file's columns (all text).
func listColumns(l bench.ListSpec) []string {
	switch {
	case l.Format == "registry":
		return []string{"area", "num"}
	case l.Style == "typed":
		return []string{l.Column, "added"}
	}
	return []string{l.Column}
}

// renameToCampaign maps a list's key column onto the campaign column name the
// normalisation expects.
func renameToCampaign(l bench.ListSpec) string {
	var cols []string
	for _, c := range [][2]string{{"phone", "phone"}, {"email", "email"}, {"address", "address"}, {"customer", "customer_id"}} {
		if l.Kind == c[0] {
			cols = append(cols, l.Column+" AS "+c[1])
		} else {
			cols = append(cols, "CAST(NULL AS VARCHAR) AS "+c[1])
		}
	}
	return strings.Join(cols, ", ")
}

// PreloadSteps loads every list of sc (files under dir) into its table
// l_NAME(k) of normalised keys; PostgreSQL also gets an index per table.
func (d Dialect) PreloadSteps(sc bench.Scenario, dir string) []Step {
	var steps []Step
	for _, l := range sc.Lists {
		path := joinPath(dir, l.File)
		t := tableName(l.Name)
		kcol := keyColumn(l.Kind)
		typ := "TEXT"
		if l.Kind == "phone" {
			typ = "BIGINT"
		}
		var load string
		if l.Format == "registry" {
			load = "SELECT CAST(area || num AS BIGINT) AS k FROM %s"
		} else {
			load = "SELECT " + kcol + " AS k FROM (" + d.keys("(SELECT "+renameToCampaign(l)+" FROM %s) raw", nil) + ") n WHERE " + kcol + " IS NOT NULL"
		}
		cols := listColumns(l)
		if d == DialectPostgres {
			raw := "raw_" + l.Name
			var defs []string
			for _, c := range cols {
				defs = append(defs, c+" TEXT")
			}
			header := "true"
			if l.Format == "registry" {
				header = "false"
			}
			steps = append(steps,
				Step{l.Name + ": copy", fmt.Sprintf("DROP TABLE IF EXISTS %s; DROP TABLE IF EXISTS %s; CREATE UNLOGGED TABLE %s (%s); COPY %s FROM %s (FORMAT csv, HEADER %s)",
					raw, t, raw, strings.Join(defs, ", "), raw, quote(path), header)},
				Step{l.Name + ": normalise", fmt.Sprintf("CREATE TABLE %s (k %s NOT NULL); INSERT INTO %s "+load+"; DROP TABLE %s", t, typ, t, raw, raw)},
				Step{l.Name + ": index", fmt.Sprintf("CREATE INDEX ON %s (k); ANALYZE %s", t, t)},
			)
			continue
		}
		var colSpec []string
		for _, c := range cols {
			colSpec = append(colSpec, fmt.Sprintf("'%s': 'VARCHAR'", c))
		}
		header := "true"
		if l.Format == "registry" {
			header = "false"
		}
		src := fmt.Sprintf("read_csv(%s, header = %s, delim = ',', quote = '\"', escape = '\"', columns = {%s})", quote(path), header, strings.Join(colSpec, ", "))
		steps = append(steps, Step{l.Name + ": load", fmt.Sprintf("CREATE OR REPLACE TABLE %s AS "+load, t, src)})
	}
	if d == DialectDuckDB {
		steps = append(steps, Step{"checkpoint", "CHECKPOINT"})
	}
	return steps
}

// Outputs names the three files a scrub writes.
type Outputs = bench.Outputs

// ScrubSteps is the timed scrub: load the campaign, normalise, find the rows
// on any list, write the three outputs in input order.
func (d Dialect) ScrubSteps(sc bench.Scenario, campaign string, out Outputs) []Step {
	cols := sc.Campaign.Columns // customer_id, phone, email, address
	colList := strings.Join(cols, ", ")
	var steps []Step
	if d == DialectPostgres {
		var defs []string
		for _, c := range cols {
			defs = append(defs, c+" TEXT")
		}
		steps = append(steps,
			Step{"load campaign", fmt.Sprintf("CREATE TEMP TABLE campaign (ln BIGINT GENERATED ALWAYS AS IDENTITY, %s); COPY campaign (%s) FROM %s (FORMAT csv, HEADER true)",
				strings.Join(defs, ", "), colList, quote(campaign))},
			Step{"normalise", "CREATE TEMP TABLE k AS " + d.keys("campaign", append([]string{"ln"}, cols...)) + "; ANALYZE k"},
		)
	} else {
		var colSpec []string
		for _, c := range cols {
			colSpec = append(colSpec, fmt.Sprintf("'%s': 'VARCHAR'", c))
		}
		src := fmt.Sprintf("read_csv(%s, header = true, delim = ',', quote = '\"', escape = '\"', columns = {%s})", quote(campaign), strings.Join(colSpec, ", "))
		steps = append(steps,
			Step{"load campaign", "CREATE TEMP TABLE campaign AS SELECT * FROM " + src},
			// rowid is the insertion order, which is the file order.
			Step{"normalise", "CREATE TEMP TABLE k AS " + d.keys("(SELECT rowid + 1 AS ln, * FROM campaign) c", append([]string{"ln"}, cols...))},
		)
	}
	var hits []string
	for _, l := range sc.Lists {
		kc := keyColumn(l.Kind)
		hits = append(hits, fmt.Sprintf("SELECT ln FROM k WHERE NOT bad AND %s IN (SELECT k FROM %s)", kc, tableName(l.Name)))
	}
	steps = append(steps, Step{"anti-join", "CREATE TEMP TABLE hit AS " + strings.Join(hits, " UNION ")})
	if d == DialectPostgres {
		steps[len(steps)-1].SQL += "; ANALYZE hit"
	}
	opts := "(FORMAT csv, HEADER true)"
	if d == DialectDuckDB {
		opts = "(FORMAT csv, HEADER true, DELIMITER ',')"
	}
	steps = append(steps,
		Step{"write clean", fmt.Sprintf("COPY (SELECT %s FROM k WHERE NOT bad AND NOT EXISTS (SELECT 1 FROM hit h WHERE h.ln = k.ln) ORDER BY ln) TO %s %s", colList, quote(out.Clean), opts)},
		Step{"write suppressed", fmt.Sprintf("COPY (SELECT %s FROM k WHERE NOT bad AND EXISTS (SELECT 1 FROM hit h WHERE h.ln = k.ln) ORDER BY ln) TO %s %s", colList, quote(out.Suppressed), opts)},
		Step{"write rejected", fmt.Sprintf("COPY (SELECT %s, ln + 1 AS hush_line, reason AS hush_reason FROM k WHERE bad ORDER BY ln) TO %s %s", colList, quote(out.Rejected), opts)},
	)
	return steps
}

func joinPath(dir, rel string) string {
	if strings.HasPrefix(rel, "/") {
		return rel
	}
	return strings.TrimSuffix(dir, "/") + "/" + rel
}
