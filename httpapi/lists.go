package httpapi

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/suppression"
)

// listJSON is a list as the API returns it: the digest prefixed with its
// algorithm ("sha256:…").
type listJSON = suppression.ListInfo

func describeList(l *suppression.List, full bool) listJSON {
	out := l.Info(full)
	if out.Digest != "" {
		out.Digest = "sha256:" + out.Digest
	}
	return out
}

func (s *Server) listsGet(c *gin.Context) {
	out := []listJSON{}
	var version journal.Seq
	s.engine().Read(func(st *suppression.Store, v journal.Seq) error {
		version = v
		for _, l := range st.Lists() {
			out = append(out, describeList(l, false))
		}
		return nil
	})
	c.JSON(http.StatusOK, gin.H{"lists": out, "version": version})
}

func (s *Server) listGet(c *gin.Context) {
	var out listJSON
	err := s.engine().Read(func(st *suppression.Store, _ journal.Seq) error {
		l, ok := st.List(c.Param("name"))
		if !ok {
			return fmt.Errorf("list %q: %w", c.Param("name"), suppression.ErrUnknownList)
		}
		out = describeList(l, true)
		return nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) listCreate(c *gin.Context) {
	var b struct {
		Name        string   `json:"name"`
		Kind        string   `json:"kind"`
		Type        string   `json:"type"`
		Channels    []string `json:"channels"`
		Purposes    []string `json:"purposes"`
		Source      string   `json:"source"`
		Description string   `json:"description"`
	}
	if err := decodeJSONBody(c, &b); err != nil {
		s.fail(c, err)
		return
	}
	for _, f := range []struct{ name, v string }{{"name", b.Name}, {"kind", b.Kind}, {"source", b.Source}} {
		if f.v == "" {
			s.fail(c, missing(f.name))
			return
		}
	}
	kind, err := contactkey.ParseKind(b.Kind)
	if err != nil {
		s.fail(c, fieldErr("kind", err))
		return
	}
	if b.Type == "" {
		b.Type = "deny"
	}
	lt, err := suppression.ParseListType(b.Type)
	if err != nil {
		s.fail(c, fieldErr("type", err))
		return
	}
	chs, ps := strings.Join(b.Channels, ","), strings.Join(b.Purposes, ",")
	if chs == "" {
		chs = "all"
	}
	if ps == "" {
		ps = "all"
	}
	ch, err := suppression.ParseChannels(chs)
	if err != nil {
		s.fail(c, fieldErr("channels", err))
		return
	}
	pset, err := suppression.ParsePurposes(ps)
	if err != nil {
		s.fail(c, fieldErr("purposes", err))
		return
	}
	spec := suppression.ListSpec{Name: b.Name, Kind: kind, Type: lt, Channels: ch, Purposes: pset, Source: b.Source, Description: b.Description}
	if err := spec.Validate(); err != nil {
		s.fail(c, fieldErr("name", err))
		return
	}
	seq, err := s.engine().CreateList(s.ctx(c), spec)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/lists/"+spec.Name)
	c.JSON(http.StatusCreated, gin.H{"created": spec.Name, "version": seq})
}

func (s *Server) listDelete(c *gin.Context) {
	seq, err := s.engine().DeleteList(s.ctx(c), c.Param("name"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"deleted": c.Param("name"), "version": seq})
}

// listExport streams a list's entries as CSV (key,expires): phone lists
// as E.164 numbers, hashed lists as their keyed hashes (hush holds no
// plaintext for them). The export is written to the access log first.
func (s *Server) listExport(c *gin.Context) {
	why := strings.TrimSpace(c.Query("why"))
	if why == "" {
		s.fail(c, &apiError{status: 400, code: "missing_parameter", field: "why", message: "say why you export this list (?why=...): it goes to the access log"})
		return
	}
	e := s.engine()
	name := c.Param("name")
	var l *suppression.List
	if err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		var ok bool
		if l, ok = st.List(name); !ok {
			return fmt.Errorf("list %q: %w", name, suppression.ErrUnknownList)
		}
		return nil
	}); err != nil {
		s.fail(c, err)
		return
	}
	p := principal(c)
	if _, err := e.LogAccess(s.ctx(c), engine.AccessRequest{KeyID: p.ID, Role: p.Role, Action: "list_export", Subject: "list:" + name,
		Why: why, Detail: fmt.Sprintf("%d entries at version %d", l.Len(), l.Version())}); err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	c.Status(http.StatusOK)
	bw := bufio.NewWriterSize(c.Writer, 256<<10)
	phone := l.Spec().Kind == contactkey.KindPhone
	if phone {
		bw.WriteString("phone,expires\n")
	} else {
		bw.WriteString(l.Spec().Kind.String() + "_hash,expires\n")
	}
	line := make([]byte, 0, 64)
	keys := make([]uint64, 0, 8192)
	exps := make([]int64, 0, 8192)
	// The list version is immutable; only hashed kinds read the shared
	// dictionary, under short read locks, chunk by chunk.
	l.EachValue(make([]uint64, 8192), func(vs []uint64) {
		keys, exps = keys[:0], exps[:0]
		e.Read(func(*suppression.Store, journal.Seq) error {
			for _, v := range vs {
				k, x := l.KeyOf(v)
				keys = append(keys, k)
				exps = append(exps, x)
			}
			return nil
		})
		for i, k := range keys {
			line = line[:0]
			if phone {
				line = appendE164(line, k)
			} else {
				line = fmt.Appendf(line, "%016x", k)
			}
			line = append(line, ',')
			if exps[i] > 0 {
				line = time.Unix(exps[i], 0).UTC().AppendFormat(line, time.RFC3339)
			}
			line = append(line, '\n')
			bw.Write(line)
		}
	})
	bw.Flush()
}

// queryInt reads an optional integer query parameter.
func queryInt(c *gin.Context, name string, def int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest(name, "want a whole number")
	}
	return n, nil
}

// listEntryDelete answers DELETE /v1/lists/{name}/entries/{value}?why=...:
// a privacy officer removes one entry (an all-or-nothing import of one key
// in remove mode, so the journal records who, when and why). Entries of
// sticky lists (customer refusals) are kept, as with any removal.
func (s *Server) listEntryDelete(c *gin.Context) {
	why := strings.TrimSpace(c.Query("why"))
	if why == "" {
		s.fail(c, missing("why"))
		return
	}
	e := s.engine()
	name := c.Param("name")
	var kind contactkey.Kind
	if err := e.Read(func(st *suppression.Store, _ journal.Seq) error {
		l, ok := st.List(name)
		if !ok {
			return fmt.Errorf("list %q: %w", name, suppression.ErrUnknownList)
		}
		kind = l.Spec().Kind
		return nil
	}); err != nil {
		s.fail(c, err)
		return
	}
	key, err := s.d.Normalizer.Key(kind, []byte(c.Param("value")), e.Hasher())
	if err != nil {
		s.fail(c, fieldErr("value", err))
		return
	}
	ctx := s.ctx(c)
	im, err := e.BeginImport(ctx, name, suppression.Remove, "removal: "+why)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := im.Add(ctx, []uint64{key.V}, nil); err != nil {
		im.Abort(ctx, err.Error())
		s.fail(c, err)
		return
	}
	res, seq, err := im.Commit(ctx, 1, 0, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"list": name, "removed": res.Removed, "kept_sticky": res.KeptSticky, "entries": res.Total, "version": seq})
}
