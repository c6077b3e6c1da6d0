package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
)

// Problem is an RFC 9457 problem document with Reelmart's stable code.
type Problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail,omitempty"`
	Code      string                `json:"code"`
	Instance  string                `json:"instance,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
	Errors    []reelmart.FieldError `json:"errors,omitempty"`
}

// statusOf maps an error kind to its HTTP status: the one place where domain
// failures meet HTTP.
func statusOf(k reelmart.Kind) int {
	switch k {
	case reelmart.KindBadRequest:
		return http.StatusBadRequest
	case reelmart.KindInvalid:
		return http.StatusUnprocessableEntity
	case reelmart.KindUnauthenticated:
		return http.StatusUnauthorized
	case reelmart.KindForbidden:
		return http.StatusForbidden
	case reelmart.KindNotFound:
		return http.StatusNotFound
	case reelmart.KindConflict:
		return http.StatusConflict
	case reelmart.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case reelmart.KindUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case reelmart.KindRateLimited:
		return http.StatusTooManyRequests
	case reelmart.KindPaymentRequired:
		return http.StatusPaymentRequired
	case reelmart.KindUnavailable:
		return http.StatusServiceUnavailable
	case reelmart.KindMethodNotAllowed:
		return http.StatusMethodNotAllowed
	default:
		return http.StatusInternalServerError
	}
}

// fail answers err as problem+json and stops the handler chain. Errors that
// are not *reelmart.Error are logged and answered as a bare 500, so internal
// detail never reaches a client.
func (s *Server) fail(c *gin.Context, err error) {
	e := reelmart.AsError(err)
	if e == nil {
		s.log.ErrorContext(c.Request.Context(), "request failed", "request_id", requestID(c), "route", c.FullPath(), "err", err)
		e = &reelmart.Error{Kind: reelmart.KindInternal, Code: "internal", Message: "something went wrong on our side; it has been logged"}
		if errors.Is(err, c.Request.Context().Err()) && c.Request.Context().Err() != nil {
			e = &reelmart.Error{Kind: reelmart.KindUnavailable, Code: "request_cancelled", Message: "the request was cancelled before it finished"}
		}
	}
	writeProblem(c, e)
}

// reply answers v as JSON with status, or err as a problem: the last step of most handlers.
func (s *Server) reply(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(status, v)
}

func writeProblem(c *gin.Context, e *reelmart.Error) {
	status := statusOf(e.Kind)
	if e.Kind == reelmart.KindUnauthenticated {
		c.Header("WWW-Authenticate", `Bearer realm="reelmart"`)
	}
	if e.Kind == reelmart.KindRateLimited || e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		if secs < 1 {
			secs = 1
		}
		c.Header("Retry-After", strconv.Itoa(secs))
	}
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    e.Message,
		Code:      e.Code,
		Instance:  c.Request.URL.Path,
		RequestID: requestID(c),
		Errors:    e.Fields,
	}
	c.Abort()
	c.Render(status, problemRender{p})
}

// problemRender writes a Problem as application/problem+json.
type problemRender struct{ p Problem }

func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return jsonRender(w, r.p)
}

func (r problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
}

// logPanic is split out so the recovery middleware stays short.
func (s *Server) logPanic(c *gin.Context, v any, stack []byte) {
	s.log.ErrorContext(c.Request.Context(), "panic serving request",
		"request_id", requestID(c), "route", c.FullPath(), "panic", v, "stack", string(stack))
}
