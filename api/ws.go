package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/chat"
)

// Socket timings and limits (docs/CHAT.md).
const (
	heartbeat      = 25 * time.Second
	pongWait       = 15 * time.Second
	writeWait      = 10 * time.Second
	maxClientFrame = 16 << 10
)

var errOriginNotAllowed = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "origin_not_allowed",
	Message: "a cookie session may open a socket only from this site's own pages"}

// socketUser authenticates a WebSocket handshake and returns the user and
// the token, to check the session again later. In order: the Authorization
// header (already resolved by optionalUser), ?access_token= for clients that
// cannot set headers, then the web app's session cookie, accepted only from
// an allowed Origin so another site's page cannot use a visitor's cookie.
func (s *Server) socketUser(c *gin.Context) (account.User, string, error) {
	if token, present := bearer(c); present {
		return mustUser(c), token, nil
	}
	if token := c.Query("access_token"); token != "" {
		u, err := s.accounts.Authenticate(c.Request.Context(), token)
		return u, token, err
	}
	cookie, err := c.Request.Cookie(sessionCookie)
	if err != nil || cookie.Value == "" {
		return account.User{}, "", errAuthRequired
	}
	if !s.originAllowed(c.Request) {
		return account.User{}, "", errOriginNotAllowed
	}
	u, err := s.accounts.Authenticate(c.Request.Context(), cookie.Value)
	return u, cookie.Value, err
}

// originAllowed reports whether the request's Origin is the public URL's
// origin or the origin of the host the request was sent to.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	for _, o := range s.origins {
		if strings.EqualFold(origin, o) {
			return true
		}
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host)
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// socket is GET /api/v1/ws: it checks the handshake, registers with the
// hub (so a refusal is still an HTTP answer), upgrades, and runs the
// connection until either side ends it.
func (s *Server) socket(c *gin.Context) {
	u, token, err := s.socketUser(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var bad []reelmart.FieldError
	since := queryInt(c, "since", &bad)
	if since != nil && *since < 0 {
		bad = append(bad, reelmart.FieldError{Field: "since", Message: "must be 0 or more"})
	}
	if err := reelmart.Invalid(bad); err != nil {
		s.fail(c, err)
		return
	}
	if !strings.EqualFold(c.GetHeader("Upgrade"), "websocket") {
		s.fail(c, reelmart.Errorf(reelmart.KindBadRequest, "upgrade_required", "this endpoint speaks WebSocket only"))
		return
	}
	sock, hello, err := s.hub.Connect(c.Request.Context(), u.ID, since)
	if err != nil {
		s.fail(c, err)
		return
	}
	defer sock.Close()
	// The Origin was checked above where it matters (cookie sessions); a
	// token in a header or the query cannot be sent by another site's page.
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered the client
	}
	conn.SetReadLimit(maxClientFrame)
	sc := &socketConn{s: s, conn: conn, sock: sock, user: u, token: token, replies: make(chan any, 16)}
	sc.run(c.Request.Context(), hello)
}

// socketConn is one open WebSocket: a reader (this goroutine) that answers
// client frames, and a writer that sends hub events and replies in order.
type socketConn struct {
	s       *Server
	conn    *websocket.Conn
	sock    *chat.Socket
	user    account.User
	token   string
	replies chan any
}

type helloFrame struct {
	Type        string `json:"type"`
	UserID      string `json:"user_id"`
	InboxSeq    int64  `json:"inbox_seq"`
	Since       *int64 `json:"since"`
	Reset       bool   `json:"reset"`
	HeartbeatMS int64  `json:"heartbeat_ms"`
}

type ackFrame struct {
	Type    string          `json:"type"`
	ID      *string         `json:"id"`
	Message *chat.Message   `json:"message,omitempty"`
	Read    *chat.ReadState `json:"read,omitempty"`
}

type errorFrame struct {
	Type       string                `json:"type"`
	ID         *string               `json:"id"`
	Status     int                   `json:"status"`
	Code       string                `json:"code"`
	Detail     string                `json:"detail"`
	Errors     []reelmart.FieldError `json:"errors,omitempty"`
	RetryAfter int                   `json:"retry_after,omitempty"`
}

type pongFrame struct {
	Type string  `json:"type"`
	ID   *string `json:"id"`
}

// clientFrame is any frame a client sends; which fields count depends on Type.
type clientFrame struct {
	Type        string    `json:"type"`
	ID          *string   `json:"id"`
	ThreadID    string    `json:"thread_id"`
	ClientMsgID string    `json:"client_msg_id"`
	Body        *string   `json:"body"`
	Card        *chat.Ref `json:"card"`
	Seq         *int64    `json:"seq"`
}

func (sc *socketConn) run(ctx context.Context, hello chat.Hello) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		defer cancel()
		sc.write(ctx, hello)
	}()
	sc.read(ctx)
	cancel()
	<-writerDone
}

// read answers client frames until the connection fails or ctx ends.
func (sc *socketConn) read(ctx context.Context) {
	for {
		typ, data, err := sc.conn.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			sc.conn.Close(websocket.StatusUnsupportedData, "send JSON text frames")
			return
		}
		reply := sc.answer(ctx, data)
		select {
		case sc.replies <- reply:
		case <-ctx.Done():
			return
		}
	}
}

// answer handles one client frame and returns the frame to send back.
func (sc *socketConn) answer(ctx context.Context, data []byte) any {
	var f clientFrame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || hasNUL(reflect.ValueOf(&f)) {
		return sc.errorFrame(ctx, nil, reelmart.Errorf(reelmart.KindBadRequest, "malformed_frame", "the frame is not a JSON object of a known shape"))
	}
	switch f.Type {
	case "ping":
		return pongFrame{Type: "pong", ID: f.ID}
	case "send":
		m, _, err := sc.s.chat.Send(ctx, sc.user.ID, f.ThreadID, chat.MessageInput{ClientMsgID: f.ClientMsgID, Body: f.Body, Card: f.Card}, chat.ViaSocket)
		if err != nil {
			return sc.errorFrame(ctx, f.ID, err)
		}
		return ackFrame{Type: "ack", ID: f.ID, Message: &m}
	case "read":
		if f.Seq == nil {
			return sc.errorFrame(ctx, f.ID, reelmart.Invalid([]reelmart.FieldError{{Field: "seq", Message: "is required"}}))
		}
		st, err := sc.s.chat.MarkRead(ctx, sc.user.ID, f.ThreadID, *f.Seq)
		if err != nil {
			return sc.errorFrame(ctx, f.ID, err)
		}
		return ackFrame{Type: "ack", ID: f.ID, Read: &st}
	default:
		return sc.errorFrame(ctx, f.ID, reelmart.Errorf(reelmart.KindBadRequest, "malformed_frame", `"type" must be "send", "read" or "ping"`))
	}
}

// errorFrame is err as the problem document HTTP would answer, in a frame.
func (sc *socketConn) errorFrame(ctx context.Context, id *string, err error) errorFrame {
	e := reelmart.AsError(err)
	if e == nil {
		sc.s.log.ErrorContext(ctx, "socket frame failed", "user_id", sc.user.ID, "err", err)
		e = &reelmart.Error{Kind: reelmart.KindInternal, Code: "internal", Message: "something went wrong on our side; it has been logged"}
	}
	f := errorFrame{Type: "error", ID: id, Status: statusOf(e.Kind), Code: e.Code, Detail: e.Message, Errors: e.Fields}
	if e.Kind == reelmart.KindRateLimited {
		f.RetryAfter = max(1, int(e.RetryAfter.Seconds()+0.999))
	}
	return f
}

// write sends hello, then events and replies as they come, pings, and
// checks the session now and then; it closes the socket with the code
// that tells the client what to do next.
func (sc *socketConn) write(ctx context.Context, hello chat.Hello) {
	if !sc.send(ctx, helloFrame{Type: "hello", UserID: hello.UserID, InboxSeq: hello.InboxSeq, Since: hello.Since,
		Reset: hello.Reset, HeartbeatMS: heartbeat.Milliseconds()}) {
		return
	}
	ping := time.NewTicker(heartbeat)
	defer ping.Stop()
	recheck := time.NewTicker(sc.s.recheck)
	defer recheck.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sc.sock.Events():
			sc.sock.Took()
			if !sc.send(ctx, e) {
				return
			}
		case r := <-sc.replies:
			if !sc.send(ctx, r) {
				return
			}
		case <-sc.sock.Done():
			sc.closeFor(sc.sock.Reason())
			return
		case <-ping.C:
			go func() {
				pctx, cancel := context.WithTimeout(ctx, pongWait)
				defer cancel()
				if err := sc.conn.Ping(pctx); err != nil && ctx.Err() == nil {
					sc.conn.CloseNow() // no pong: the peer is gone
				}
			}()
		case <-recheck.C:
			if _, err := sc.s.accounts.Authenticate(ctx, sc.token); reelmart.ErrorKind(err) == reelmart.KindUnauthenticated {
				sc.conn.Close(websocket.StatusPolicyViolation, "the session has ended; sign in again")
				return
			}
		}
	}
}

func (sc *socketConn) send(ctx context.Context, frame any) bool {
	raw, err := json.Marshal(frame)
	if err != nil {
		sc.s.log.ErrorContext(ctx, "socket frame encoding", "err", err)
		return false
	}
	wctx, cancel := context.WithTimeout(ctx, writeWait)
	defer cancel()
	return sc.conn.Write(wctx, websocket.MessageText, raw) == nil
}

// closeFor closes the connection with the code for why the hub dropped it.
func (sc *socketConn) closeFor(reason error) {
	switch {
	case errors.Is(reason, chat.ErrSlowConsumer):
		sc.conn.Close(websocket.StatusTryAgainLater, "fell behind; reconnect with since")
	case errors.Is(reason, chat.ErrShuttingDown):
		sc.conn.Close(websocket.StatusGoingAway, "server shutting down; reconnect with since")
	default:
		sc.conn.Close(websocket.StatusInternalError, "reconnect with since")
	}
}
