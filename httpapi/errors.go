package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hushcrm/hush/access"
	"github.com/hushcrm/hush/contactkey"
	"github.com/hushcrm/hush/csvio"
	"github.com/hushcrm/hush/engine"
	"github.com/hushcrm/hush/importer"
	"github.com/hushcrm/hush/scrub"
	"github.com/hushcrm/hush/suppression"
)

// apiError is an error with its HTTP answer. Handlers return these for
// what they check themselves; everything else goes through classify.
type apiError struct {
	status  int
	code    string
	message string
	field   string
	err     error
}

func (e *apiError) Error() string { return e.message }
func (e *apiError) Unwrap() error { return e.err }

func newErr(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "invalid_parameter", field: field, message: fmt.Sprintf(format, args...)}
}

func missing(field string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "missing_parameter", field: field, message: fmt.Sprintf("parameter %q is required", field)}
}

// fieldErr is err, blamed on field: a bad value the caller sent.
func fieldErr(field string, err error) *apiError {
	ae := *classify(err)
	if ae.field == "" {
		ae.field = field
	}
	if ae.status == http.StatusInternalServerError {
		ae.status, ae.code, ae.message = http.StatusBadRequest, "invalid_parameter", err.Error()
	}
	ae.message = field + ": " + ae.message
	return &ae
}

// classify maps an error from any layer to its HTTP answer. It is the one
// place that knows which domain error is which status.
func classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	mk := func(status int, code string) *apiError {
		return &apiError{status: status, code: code, message: err.Error(), err: err}
	}
	var mbe *http.MaxBytesError
	var ke *contactkey.KeyError
	var re *csvio.RowError
	switch {
	case errors.As(err, &mbe):
		return mk(http.StatusRequestEntityTooLarge, "body_too_large")
	case errors.Is(err, engine.ErrBadKey), errors.Is(err, engine.ErrKeyExpired), errors.Is(err, engine.ErrKeyRevoked), errors.Is(err, access.ErrMalformedKey):
		return mk(http.StatusUnauthorized, "unauthorized")
	case errors.Is(err, suppression.ErrUnknownList), errors.Is(err, engine.ErrUnknownKey):
		return mk(http.StatusNotFound, "not_found")
	case errors.Is(err, suppression.ErrListExists):
		return mk(http.StatusConflict, "conflict")
	case errors.Is(err, suppression.ErrStickyList):
		return mk(http.StatusConflict, "sticky_list")
	case errors.Is(err, suppression.ErrEvidenceRequired):
		a := mk(http.StatusBadRequest, "evidence_required")
		a.field = "evidence"
		return a
	case errors.As(err, &ke):
		a := mk(http.StatusBadRequest, "invalid_key")
		a.field = ke.Kind.String()
		return a
	case errors.As(err, &re):
		return mk(http.StatusBadRequest, "invalid_input")
	case errors.Is(err, suppression.ErrUnknownChannel), errors.Is(err, suppression.ErrUnknownPurpose),
		errors.Is(err, suppression.ErrInvalidPurpose), errors.Is(err, suppression.ErrInvalidSpec),
		errors.Is(err, suppression.ErrUnknownMode), errors.Is(err, suppression.ErrUnknownListType),
		errors.Is(err, suppression.ErrInvalidScope), errors.Is(err, suppression.ErrKindMismatch),
		errors.Is(err, contactkey.ErrInvalidKey), errors.Is(err, contactkey.ErrUnknownRegion),
		errors.Is(err, csvio.ErrMissingColumn), errors.Is(err, csvio.ErrEmptyFile), errors.Is(err, importer.ErrNoRows),
		errors.Is(err, scrub.ErrNoContactColumn), errors.Is(err, access.ErrUnknownRole), errors.Is(err, engine.ErrInvalidRole):
		return mk(http.StatusBadRequest, "invalid_input")
	case errors.Is(err, engine.ErrJournalUnreachable):
		return mk(http.StatusServiceUnavailable, "journal_unreachable")
	case errors.Is(err, engine.ErrStaleState):
		return mk(http.StatusServiceUnavailable, "stale_state")
	case errors.Is(err, engine.ErrUnavailable), errors.Is(err, engine.ErrClosed):
		return mk(http.StatusServiceUnavailable, "unavailable")
	case errors.Is(err, context.Canceled), errors.Is(err, io.ErrUnexpectedEOF):
		return mk(http.StatusBadRequest, "request_incomplete")
	}
	return &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error", err: err}
}

type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// fail answers c with err and stops the handler chain.
func (s *Server) fail(c *gin.Context, err error) {
	ae := classify(err)
	if ae.status == http.StatusInternalServerError {
		s.logf("%s %s: %v", c.Request.Method, c.Request.URL.Path, err)
	}
	if ae.status == http.StatusServiceUnavailable || ae.status == http.StatusTooManyRequests {
		c.Header("Retry-After", "1")
	}
	c.AbortWithStatusJSON(ae.status, errorBody{errorJSON{Code: ae.code, Message: ae.message, Field: ae.field}})
}
