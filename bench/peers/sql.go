package peers

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hushcrm/hush/bench"
)

// Dialect is the SQL flavour of a peer.
type Dialect int

const (
	DialectPostgres Dialect = iota
	DialectDuckDB
)

// addrFolds are the street words bench varies and contactkey folds, as
// (word, abbreviation). Both dialects fold exactly these, each in its
// idiomatic way; rules_test.go transcribes them to Go.
var addrFolds = [][2]string{
	{"street", "st"}, {"str", "st"}, {"avenue", "ave"}, {"drive", "dr"}, {"terrace", "ter"}, {"circle", "cir"},
	{"north", "n"}, {"south", "s"}, {"east", "e"}, {"west", "w"},
	{"apartment", "apt"}, {"suite", "ste"},
}

const (
	// nanpCore is NXX-NXX-XXXX where neither NXX is N11 (no lookahead:
	// DuckDB's RE2 has none).
	nanpCore     = `[2-9](?:[02-9][0-9]|1[02-9])[2-9](?:[02-9][0-9]|1[02-9])[0-9]{4}`
	emailPattern = `^[^@]+@[^@]+\.[^@]+$`
	// addrBase lower-cases, drops apostrophes and turns every run of other
	// characters into one space: what is left is words of [a-z0-9].
	addrBase = `trim(regexp_replace(replace(lower(address), '''', ''), '[^a-z0-9]+', ' ', 'g'))`
)

// pgAddrFolds folds the words with as few regexp_replace calls as
// PostgreSQL allows: one call for every abbreviation that is a prefix of its
// word (captured and put back: \y(?:(st)(?:reet|r)|(ave)nue|...)\y → \1\2...,
// at most nine groups), one call for each of the others.
func pgAddrFolds(expr string) string {
	var order []string
	suffixes := map[string][]string{}
	var rest [][2]string
	for _, f := range addrFolds {
		if _, ok := suffixes[f[1]]; ok || strings.HasPrefix(f[0], f[1]) && len(order) < 9 {
			if _, ok := suffixes[f[1]]; !ok {
				order = append(order, f[1])
			}
			suffixes[f[1]] = append(suffixes[f[1]], strings.TrimPrefix(f[0], f[1]))
			continue
		}
		rest = append(rest, f)
	}
	var alts []string
	var repl strings.Builder
	for i, to := range order {
		sfx := suffixes[to]
		if len(sfx) == 1 {
			alts = append(alts, "("+to+")"+sfx[0])
		} else {
			alts = append(alts, "("+to+")(?:"+strings.Join(sfx, "|")+")")
		}
		fmt.Fprintf(&repl, `\%d`, i+1)
	}
	if len(alts) > 0 {
		expr = fmt.Sprintf(`regexp_replace(%s, '\y(?:%s)\y', '%s', 'g')`, expr, strings.Join(alts, "|"), repl.String())
	}
	for _, f := range rest {
		expr = fmt.Sprintf(`regexp_replace(%s, '\y%s\y', '%s', 'g')`, expr, f[0], f[1])
	}
	return expr
}

// duckAddrFolds maps every word through one CASE in a list lambda, which
// DuckDB runs far faster than regexp_replace with capture groups.
func duckAddrFolds(expr string) string {
	var b strings.Builder
	b.WriteString("array_to_string(list_transform(string_split(" + expr + ", ' '), w -> CASE w")
	for _, f := range addrFolds {
		fmt.Fprintf(&b, " WHEN '%s' THEN '%s'", f[0], f[1])
	}
	b.WriteString(" ELSE w END), ' ')")
	return b.String()
}

// matches is a boolean "s contains a match of pattern".
func (d Dialect) matches(s, pattern string) string {
	if d == DialectPostgres {
		return fmt.Sprintf("(%s ~ '%s')", s, pattern)
	}
	return fmt.Sprintf("regexp_matches(%s, '%s')", s, pattern)
}

// keys selects from src the columns in keep plus the normalised keys: p
// (the 10-digit number as BIGINT, NULL if invalid), em, ad, cu (NULL when
// absent) and em_bad (the e-mail is present but malformed).
//
// One level, each costly function written once: PostgreSQL flattens
// subqueries and would copy an expression into every place that refers to
// it, running the regexps several times per row.
func (d Dialect) keys(src string, keep []string) string {
	digits := `regexp_replace(regexp_replace(phone, '[^0-9]', '', 'g'), '^1([0-9]{10})$', '\1')`
	var p, addr string
	if d == DialectPostgres {
		p = fmt.Sprintf("CASE WHEN phone ~ '[A-Za-z]' THEN NULL ELSE CAST(substring(%s FROM '^(%s)$') AS BIGINT) END", digits, nanpCore)
		addr = pgAddrFolds(addrBase)
	} else {
		p = fmt.Sprintf("CASE WHEN regexp_matches(phone, '[A-Za-z]') THEN NULL ELSE CAST(nullif(regexp_extract(%s, '^(%s)$', 1), '') AS BIGINT) END", digits, nanpCore)
		addr = duckAddrFolds(addrBase)
	}
	em := "nullif(lower(trim(email)), '')"
	cols := append([]string(nil), keep...)
	cols = append(cols,
		p+" AS p",
		em+" AS em",
		"nullif("+addr+", '') AS ad",
		"nullif(trim(customer_id), '') AS cu",
		"NOT "+d.matches(em, emailPattern)+" AS em_bad",
	)
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + src
}

// Over the keys table: the row must be rejected, and why.
const (
	badRow    = "(p IS NULL OR coalesce(em_bad, false))"
	badReason = "CASE WHEN p IS NULL THEN 'invalid_phone' ELSE 'invalid_email' END"
)

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

// ScrubSteps is the timed scrub: load the campaign, normalise, find the rows
// on any list, write the three outputs in input order. The campaign's
// columns are bench's: customer_id, phone, email, address.
func (d Dialect) ScrubSteps(sc bench.Scenario, campaign string, out bench.Outputs) []Step {
	cols := sc.Campaign.Columns // customer_id, phone, email, address
	colList := strings.Join(cols, ", ")
	var steps []Step
	if d == DialectPostgres {
		var defs []string
		for _, c := range cols {
			defs = append(defs, c+" TEXT")
		}
		steps = append(steps,
			// Unlogged work tables rather than temporary ones: PostgreSQL
			// runs no parallel workers over temporary tables.
			Step{"load campaign", fmt.Sprintf("DROP TABLE IF EXISTS campaign, k, hit; CREATE UNLOGGED TABLE campaign (ln BIGINT GENERATED ALWAYS AS IDENTITY, %s); COPY campaign (%s) FROM %s (FORMAT csv, HEADER true); ANALYZE campaign",
				strings.Join(defs, ", "), colList, quote(campaign))},
			Step{"normalise", "CREATE UNLOGGED TABLE k AS " + d.keys("campaign", append([]string{"ln"}, cols...)) + "; ANALYZE k"},
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
		hits = append(hits, fmt.Sprintf("SELECT ln FROM k WHERE %s IN (SELECT k FROM %s)", kc, tableName(l.Name)))
	}
	if d == DialectPostgres {
		steps = append(steps, Step{"anti-join", "CREATE UNLOGGED TABLE hit AS " + strings.Join(hits, " UNION ") + "; ANALYZE hit"})
	} else {
		steps = append(steps, Step{"anti-join", "CREATE TEMP TABLE hit AS " + strings.Join(hits, " UNION ")})
	}
	opts := "(FORMAT csv, HEADER true)"
	if d == DialectDuckDB {
		opts = "(FORMAT csv, HEADER true, DELIMITER ',')"
	}
	steps = append(steps,
		Step{"write clean", fmt.Sprintf("COPY (SELECT %s FROM k WHERE NOT %s AND NOT EXISTS (SELECT 1 FROM hit h WHERE h.ln = k.ln) ORDER BY ln) TO %s %s", colList, badRow, quote(out.Clean), opts)},
		Step{"write suppressed", fmt.Sprintf("COPY (SELECT %s FROM k WHERE NOT %s AND EXISTS (SELECT 1 FROM hit h WHERE h.ln = k.ln) ORDER BY ln) TO %s %s", colList, badRow, quote(out.Suppressed), opts)},
		Step{"write rejected", fmt.Sprintf("COPY (SELECT %s, ln + 1 AS hush_line, %s AS hush_reason FROM k WHERE %s ORDER BY ln) TO %s %s", colList, badReason, badRow, quote(out.Rejected), opts)},
	)
	return steps
}

func joinPath(dir, rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(dir, rel)
}
