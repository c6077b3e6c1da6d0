package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/checkout"
)

// claimKey is where idempotent keeps the request's claim for its handler.
const claimKey = "reelmart.idempotency_claim"

// idempotent honours the Idempotency-Key header (required when required is
// set) on the checkout operations that take one (checkout/idempotency.go
// explains the rule): the key is claimed before the handler runs and the
// handler passes the claim to its operation (claimOf); a replay gets the
// stored answer byte for byte, marked Idempotent-Replayed; the key with
// another method, path or body is 422 idempotency_key_reused; while
// another request holds the key, 409 idempotency_key_in_progress with
// Retry-After.
//
// The handler's answer is held back until the key has it: a 2xx–4xx is
// stored first, so the client never sees an answer a retry could
// contradict; a 5xx or a panic stores nothing and ends the claim's lease,
// so a retry at once reads back whatever the operation did. A panic is
// left to recoverPanics, which answers 500.
func (s *Server) idempotent(required bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader("Idempotency-Key")
		if key == "" {
			if required {
				writeProblem(c, reelmart.Errorf(reelmart.KindBadRequest, "idempotency_key_required",
					"send an Idempotency-Key header (a unique string per intended operation, e.g. a UUID)"))
				return
			}
			c.Next()
			return
		}
		if len(key) > checkout.MaxKeyLength || strings.IndexFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
			writeProblem(c, reelmart.Errorf(reelmart.KindBadRequest, "invalid_idempotency_key",
				"the Idempotency-Key must be 1 to %d printable ASCII characters", checkout.MaxKeyLength))
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeProblem(c, errBodyTooLarge(tooBig.Limit))
				return
			}
			s.fail(c, err)
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		hash := checkout.RequestHash(c.Request.Method, c.Request.URL.Path, body)
		claim, replay, err := s.checkout.ClaimKey(c.Request.Context(), mustUser(c).ID, key, hash)
		if err != nil {
			s.fail(c, err)
			return
		}
		if replay != nil {
			ct := "application/json"
			if replay.Status >= 400 {
				ct = "application/problem+json"
			}
			c.Header("Idempotent-Replayed", "true")
			c.Data(replay.Status, ct, replay.Body)
			c.Abort()
			return
		}
		c.Set(claimKey, claim)
		// The key is stored or its lease ended even if the client went
		// away: the operation may have happened.
		ctx := context.WithoutCancel(c.Request.Context())
		sink := c.Writer
		held := &heldAnswer{ResponseWriter: sink, status: http.StatusOK}
		c.Writer = held
		returned := false
		defer func() {
			if !returned { // the handler panicked
				c.Writer = sink
				s.endLease(ctx, c, claim)
			}
		}()
		c.Next()
		returned = true
		c.Writer = sink
		s.deliver(ctx, c, claim, held)
	}
}

// claimOf returns the claim idempotent took for the request, or nil when it
// came without an Idempotency-Key.
func claimOf(c *gin.Context) *checkout.Claim {
	v, _ := c.Get(claimKey)
	claim, _ := v.(*checkout.Claim)
	return claim
}

// deliver stores the held answer under claim's key, then sends it.
func (s *Server) deliver(ctx context.Context, c *gin.Context, claim *checkout.Claim, held *heldAnswer) {
	status := held.status
	if !held.written || status >= 500 {
		s.endLease(ctx, c, claim)
		if !held.written {
			s.fail(c, errors.New("api: an idempotent handler wrote no answer"))
			return
		}
	} else if err := s.checkout.SaveKey(ctx, claim, status, held.body.Bytes()); err != nil {
		superseded := errors.Is(err, checkout.ErrKeySuperseded)
		if !superseded {
			s.log.ErrorContext(ctx, "idempotent answer not stored", "request_id", requestID(c), "err", err)
			s.endLease(ctx, c, claim)
		}
		// A 2xx is the operation's effect, which is noted on the key with
		// it: a retry reads the same back. A refusal that is not stored
		// must not be seen, since a retry may run and find another answer.
		if status >= 300 {
			if superseded {
				writeProblem(c, checkout.ErrKeySuperseded)
			} else {
				s.fail(c, err)
			}
			return
		}
	}
	if claim.ReadBack() && status < 300 {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Writer.WriteHeader(status)
	c.Writer.WriteHeaderNow()
	if _, err := c.Writer.Write(held.body.Bytes()); err != nil {
		s.log.DebugContext(ctx, "answer not sent", "request_id", requestID(c), "err", err)
	}
}

func (s *Server) endLease(ctx context.Context, c *gin.Context, claim *checkout.Claim) {
	if err := s.checkout.EndLease(ctx, claim); err != nil {
		s.log.ErrorContext(ctx, "idempotency lease not ended", "request_id", requestID(c), "err", err)
	}
}

// heldAnswer keeps what a handler writes (status and body) until the key
// has it; headers go straight to the real writer, which sends nothing
// until deliver does.
type heldAnswer struct {
	gin.ResponseWriter
	status  int
	written bool
	body    bytes.Buffer
}

func (w *heldAnswer) WriteHeader(code int) {
	if code > 0 && !w.written {
		w.status = code
	}
}

func (w *heldAnswer) WriteHeaderNow() { w.written = true }

func (w *heldAnswer) Write(b []byte) (int, error) {
	w.written = true
	return w.body.Write(b)
}

func (w *heldAnswer) WriteString(s string) (int, error) {
	w.written = true
	return w.body.WriteString(s)
}

func (w *heldAnswer) Status() int   { return w.status }
func (w *heldAnswer) Written() bool { return w.written }
func (w *heldAnswer) Flush()        {} // nothing leaves before the key has it

func (w *heldAnswer) Size() int {
	if !w.written {
		return -1
	}
	return w.body.Len()
}
