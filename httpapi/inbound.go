package httpapi

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/journal"
	"github.com/hushcrm/hush/sms"
	"github.com/hushcrm/hush/suppression"
	"github.com/hushcrm/hush/unsubscribe"
)

// SourceSMSKeyword is the source of opt-outs a customer texted in.
const SourceSMSKeyword = "sms_keyword"

// SourceOneClick is the source of RFC 8058 one-click unsubscribes.
const SourceOneClick = "one_click_unsubscribe"

func twiml(c *gin.Context, status int, text string) {
	c.Data(status, "text/xml; charset=utf-8", sms.Reply(text))
}

// smsInbound answers POST /v1/inbound/sms, the webhook an SMS gateway
// calls with From, To and Body form fields.
func (s *Server) smsInbound(c *gin.Context) {
	if ct := contentType(c); ct != "application/x-www-form-urlencoded" {
		s.fail(c, unsupported(ct, "application/x-www-form-urlencoded"))
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		s.fail(c, fmt.Errorf("form body: %w", err))
		return
	}
	form := c.Request.PostForm
	if s.cfg.SMSAuthToken != "" {
		if !sms.ValidSignature(s.cfg.SMSAuthToken, s.cfg.SMSWebhookURL, form, c.GetHeader("X-Twilio-Signature")) {
			s.fail(c, &apiError{status: http.StatusForbidden, code: "bad_signature", field: "X-Twilio-Signature",
				message: "the request signature does not match (is sms.webhook_url exactly the URL the gateway posts to?)"})
			return
		}
	}
	from := form.Get("From")
	if from == "" {
		s.fail(c, missing("From"))
		return
	}
	kw := sms.Classify(form.Get("Body"))
	if kw == sms.None {
		twiml(c, http.StatusOK, "")
		return
	}
	if kw == sms.Help {
		twiml(c, http.StatusOK, s.cfg.SMSHelpText)
		return
	}
	e := s.engine()
	key, err := s.d.Normalizer.Key(contactkey.KindPhone, []byte(from), e.Hasher())
	if err != nil {
		s.fail(c, fieldErr("From", err))
		return
	}
	evidence := fmt.Sprintf("SMS %q from %s to %s", strings.TrimSpace(form.Get("Body")), from, form.Get("To"))
	if sid := form.Get("MessageSid"); sid != "" {
		evidence += " MessageSid " + sid
	}
	ctx := engine.WithActor(c.Request.Context(), "sms:"+form.Get("To"))
	req := engine.OptOutRequest{Key: key, Channels: suppression.ChannelSet(suppression.SMS), Purposes: suppression.PurposeSet{All: true}, Source: SourceSMSKeyword, Evidence: evidence}
	switch kw {
	case sms.Stop:
		if _, err := e.RecordOptOut(ctx, req); err != nil {
			s.fail(c, err)
			return
		}
		twiml(c, http.StatusOK, s.cfg.SMSStopText)
	case sms.Start:
		undo, reason := smsStartMayUndo(e, key)
		if !undo {
			twiml(c, http.StatusOK, reason)
			return
		}
		req.OptIn = true
		if _, err := e.RecordOptOut(ctx, req); err != nil {
			s.fail(c, err)
			return
		}
		twiml(c, http.StatusOK, s.cfg.SMSStartText)
	}
}

// smsStartMayUndo decides whether START may opt the number back in: only
// opt-outs that came by SMS keyword can be undone by one. A refusal made
// another way (a call, a letter, a complaint) covering SMS stands.
func smsStartMayUndo(e *engine.Engine, key contactkey.Key) (bool, string) {
	var hist []suppression.OptEvent
	e.Read(func(st *suppression.Store, _ journal.Seq) error {
		hist = st.History(key)
		return nil
	})
	keyword := false
	for i := len(hist) - 1; i >= 0; i-- {
		ev := hist[i]
		if !ev.Channels.Has(suppression.SMS) {
			continue
		}
		if ev.Source != SourceSMSKeyword {
			if ev.OptIn {
				break // a deliberate opt-in already superseded what came before
			}
			return false, "Your request not to receive messages was not made by text, so it cannot be undone by text. Please contact us."
		}
		if !ev.OptIn {
			keyword = true
		}
	}
	if !keyword {
		return false, "You have not unsubscribed by text; there is nothing to undo."
	}
	return true, ""
}

var pageTmpl = template.Must(template.New("u").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#222}button{font-size:1.1em;padding:.5em 1.2em}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>{{.Text}}</p>
{{if .Form}}<form method="post" action="">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>{{end}}
</body></html>
`))

type page struct {
	Title, Text string
	Form        bool
}

func (s *Server) renderPage(c *gin.Context, status int, p page) {
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	pageTmpl.Execute(c.Writer, p)
	c.Abort()
}

func (s *Server) verifyToken(c *gin.Context) (unsubscribe.Token, bool) {
	tok, err := unsubscribe.Verify(s.d.TokenSecret, c.Param("token"))
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, unsubscribe.ErrForged) {
			status = http.StatusForbidden
		}
		s.renderPage(c, status, page{Title: "This link is not valid", Text: "The unsubscribe link is damaged or was not issued by us. Please use the link from the message itself."})
		return tok, false
	}
	return tok, true
}

// unsubscribePage answers GET /u/{token}: a confirmation page with a
// button. A GET never unsubscribes (mail scanners follow links).
func (s *Server) unsubscribePage(c *gin.Context) {
	tok, ok := s.verifyToken(c)
	if !ok {
		return
	}
	s.renderPage(c, http.StatusOK, page{Title: "Unsubscribe", Form: true,
		Text: fmt.Sprintf("Press the button to stop receiving email for %s.", strings.ReplaceAll(tok.Purpose, "_", " "))})
}

// unsubscribePost answers POST /u/{token} with List-Unsubscribe=One-Click
// (RFC 8058): the address in the token is opted out of email for the
// token's purpose, durably, before the answer.
func (s *Server) unsubscribePost(c *gin.Context) {
	tok, ok := s.verifyToken(c)
	if !ok {
		return
	}
	switch ct := contentType(c); ct {
	case "application/x-www-form-urlencoded", "multipart/form-data":
	default:
		s.fail(c, unsupported(ct, "application/x-www-form-urlencoded", "multipart/form-data"))
		return
	}
	if c.PostForm("List-Unsubscribe") != "One-Click" {
		s.fail(c, &apiError{status: 400, code: "missing_parameter", field: "List-Unsubscribe", message: "the body must be List-Unsubscribe=One-Click (RFC 8058)"})
		return
	}
	ps, err := suppression.ParsePurposes(tok.Purpose)
	if err != nil {
		s.fail(c, fieldErr("token", err))
		return
	}
	e := s.engine()
	ctx := engine.WithActor(c.Request.Context(), "one-click")
	_, err = e.RecordOptOut(ctx, engine.OptOutRequest{
		Key:      contactkey.Key{Kind: contactkey.KindEmail, V: tok.Key},
		Channels: suppression.ChannelSet(suppression.Email), Purposes: ps, Source: SourceOneClick,
		Evidence: fmt.Sprintf("one-click unsubscribe, campaign %q, token issued %s", tok.Campaign, time.Unix(tok.Issued, 0).UTC().Format(time.RFC3339)),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderPage(c, http.StatusOK, page{Title: "You are unsubscribed", Text: "You will receive no more email of this kind from us."})
}

// tokensPost answers POST /v1/tokens?purpose=&campaign=&column=: the send
// file comes in as CSV and goes back with List-Unsubscribe columns, row
// for row, streamed.
func (s *Server) tokensPost(c *gin.Context) {
	if ct := contentType(c); ct != "text/csv" && ct != "text/plain" {
		s.fail(c, unsupported(ct, "text/csv"))
		return
	}
	purpose := c.Query("purpose")
	if purpose == "" {
		s.fail(c, missing("purpose"))
		return
	}
	if _, err := suppression.ParsePurposes(purpose); err != nil {
		s.fail(c, fieldErr("purpose", err))
		return
	}
	campaign := c.Query("campaign")
	if campaign == "" {
		s.fail(c, missing("campaign"))
		return
	}
	base := defaultStr(c.Query("base_url"), s.cfg.PublicURL)
	rc := http.NewResponseController(c.Writer)
	_ = rc.EnableFullDuplex()
	e := s.engine()
	c.Header("Content-Type", "text/csv; charset=utf-8")
	w := &lazyStatus{c: c}
	cnt, err := unsubscribe.AnnotateSendFile(c.Request.Body, w, unsubscribe.SendFileOptions{
		Column: c.Query("column"), Purpose: purpose, Campaign: campaign, BaseURL: base, Issued: s.now().Unix(),
		Secret: s.d.TokenSecret, Normalizer: s.d.Normalizer, Hasher: e.Hasher(), CSV: csvio.Options{MaxRecordLines: 16}, Name: "send file",
	})
	if err != nil {
		if !w.started {
			s.fail(c, err)
			return
		}
		// Too late for a status: cut the stream so the client sees it fail.
		s.logf("tokens: %v", err)
		panic(http.ErrAbortHandler)
	}
	if !w.started {
		c.Status(http.StatusOK)
	}
	_ = cnt
}

// lazyStatus sends 200 with the first byte, so errors found before any
// output still get a proper status.
type lazyStatus struct {
	c       *gin.Context
	started bool
}

func (l *lazyStatus) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.c.Status(http.StatusOK)
	}
	return l.c.Writer.Write(p)
}
