package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/reelmart/reelmart/api"
)

// frameSchemas are the spec's WebSocket frame schemas, built once.
var frameSchemas = sync.OnceValues(func() (map[string]*base.Schema, error) {
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		return nil, err
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	out := map[string]*base.Schema{}
	for _, name := range []string{"WsServerFrame", "WsClientFrame"} {
		out[name] = model.Model.Components.Schemas.GetOrZero(name).Schema()
	}
	return out, nil
})

// frameValidator keeps its compiled schemas between frames.
var frameValidator = sync.OnceValue(func() schema_validation.SchemaValidator { return schema_validation.NewSchemaValidator() })

// checkFrame fails t unless raw is a valid frame of the named schema.
func checkFrame(t testing.TB, schema string, raw []byte) {
	t.Helper()
	schemas, err := frameSchemas()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if ok, errs := frameValidator().ValidateSchemaBytes(schemas[schema], raw); !ok {
		for _, e := range errs {
			t.Errorf("frame %s breaks %s: %s (%s)", raw, schema, e.Message, e.Reason)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", se.FieldPath, se.Reason)
			}
		}
		t.FailNow()
	}
}

// frame is any server frame, decoded loosely.
type frame struct {
	Type     string       `json:"type"`
	Seq      int64        `json:"seq"`
	ID       *string      `json:"id"`
	ThreadID string       `json:"thread_id"`
	Message  *messageJSON `json:"message"`
	Thread   *threadJSON  `json:"thread"`
	UserID   string       `json:"user_id"`
	ReadSeq  int64        `json:"read_seq"`
	InboxSeq int64        `json:"inbox_seq"`
	Reset    bool         `json:"reset"`
	Status   int          `json:"status"`
	Code     string       `json:"code"`
	Errors   []struct {
		Field string `json:"field"`
	} `json:"errors"`
	RetryAfter int `json:"retry_after"`
	Read       *struct {
		ReadSeq int64 `json:"read_seq"`
	} `json:"read"`
}

// wsClient is a real WebSocket client that checks every frame against the spec.
type wsClient struct {
	t      testing.TB
	conn   *websocket.Conn
	frames chan frame
	ended  chan struct{}
	err    error // why reading stopped, once ended is closed
	hello  frame
}

type dialOpts struct {
	token       string // Authorization header
	accessToken string // ?access_token=
	cookie      string
	origin      string
	since       *int64
	noRead      bool // do not read: a consumer that never keeps up
}

func (h *chatHarness) dialRaw(o dialOpts) (*websocket.Conn, *http.Response, error) {
	u := strings.Replace(h.url, "http://", "ws://", 1) + "/api/v1/ws"
	var q []string
	if o.since != nil {
		q = append(q, fmt.Sprint("since=", *o.since))
	}
	if o.accessToken != "" {
		q = append(q, "access_token="+o.accessToken)
	}
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	hdr := http.Header{}
	if o.token != "" {
		hdr.Set("Authorization", "Bearer "+o.token)
	}
	if o.cookie != "" {
		hdr.Set("Cookie", "reelmart_session="+o.cookie)
	}
	if o.origin != "" {
		hdr.Set("Origin", o.origin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: hdr})
}

func (h *chatHarness) dial(o dialOpts) *wsClient {
	h.t.Helper()
	conn, resp, err := h.dialRaw(o)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		h.t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	conn.SetReadLimit(1 << 20)
	c := &wsClient{t: h.t, conn: conn, frames: make(chan frame, 100000), ended: make(chan struct{})}
	h.t.Cleanup(func() { conn.CloseNow() })
	if !o.noRead {
		go c.readLoop()
		c.hello = c.next()
		if c.hello.Type != "hello" {
			h.t.Fatalf("first frame %+v, want hello", c.hello)
		}
	}
	return c
}

func (c *wsClient) readLoop() {
	defer close(c.ended)
	for {
		_, raw, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		checkFrame(c.t, "WsServerFrame", raw)
		var f frame
		if err := json.Unmarshal(raw, &f); err != nil {
			c.t.Errorf("frame %s: %v", raw, err)
			return
		}
		c.frames <- f
	}
}

// next returns the next frame, failing the test after 10 s.
func (c *wsClient) next() frame {
	c.t.Helper()
	select {
	case f := <-c.frames:
		return f
	case <-c.ended:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		c.t.Fatalf("socket ended: %v", c.err)
	case <-time.After(10 * time.Second):
		c.t.Fatal("no frame in 10 s")
	}
	return frame{}
}

// events returns the next n event frames (message, read, thread), skipping nothing else.
func (c *wsClient) events(n int) []frame {
	c.t.Helper()
	var out []frame
	for len(out) < n {
		f := c.next()
		switch f.Type {
		case "message", "read", "thread":
			out = append(out, f)
		default:
			c.t.Fatalf("unexpected %s frame while waiting for events: %+v", f.Type, f)
		}
	}
	return out
}

func (c *wsClient) sendFrame(v any) {
	c.t.Helper()
	raw, _ := json.Marshal(v)
	checkFrame(c.t, "WsClientFrame", raw)
	if err := c.conn.Write(context.Background(), websocket.MessageText, raw); err != nil {
		c.t.Fatal(err)
	}
}

// closeStatus waits for the server to end the socket and returns the close code.
func (c *wsClient) closeStatus() websocket.StatusCode {
	c.t.Helper()
	select {
	case <-c.ended:
	case <-time.After(20 * time.Second):
		c.t.Fatal("socket still open after 20 s")
	}
	return websocket.CloseStatus(c.err)
}

// expectSeqs checks that frames carry the inbox seqs from, from+1, … in order.
func expectSeqs(t testing.TB, frames []frame, from int64) {
	t.Helper()
	for i, f := range frames {
		if f.Seq != from+int64(i) {
			got := make([]int64, len(frames))
			for j, g := range frames {
				got[j] = g.Seq
			}
			t.Fatalf("inbox seqs %v, want consecutive from %d", got, from)
		}
	}
}
