// Package bustest is the contract every bus engine passes. An engine's test
// calls Run with a function that opens one more node on a fresh, shared
// backend each time it is called within a test.
package bustest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelmart/reelmart/platform/bus"
)

// Open returns one more node of the backend that t's other nodes share; the
// engine's test closes it when t ends.
type Open func(t *testing.T) bus.Bus

// Run runs the contract.
func Run(t *testing.T, open Open) {
	t.Run("every node receives once", func(t *testing.T) { everyNode(t, open) })
	t.Run("order per publisher", func(t *testing.T) { order(t, open) })
	t.Run("topics apart", func(t *testing.T) { topics(t, open) })
	t.Run("unsubscribe", func(t *testing.T) { unsubscribe(t, open) })
	t.Run("invalid", func(t *testing.T) { invalid(t, open) })
	t.Run("burst of large messages", func(t *testing.T) { burst(t, open) })
	t.Run("closed", func(t *testing.T) { closed(t, open) })
}

var ctx = context.Background()

// inbox collects what a subscriber received and lets a test wait for it.
type inbox struct {
	mu   sync.Mutex
	msgs []string
	more chan struct{}
}

func newInbox() *inbox { return &inbox{more: make(chan struct{}, 1)} }

func (in *inbox) handler() bus.Handler {
	return bus.Handler{Notice: func(m string) {
		in.mu.Lock()
		in.msgs = append(in.msgs, m)
		in.mu.Unlock()
		select {
		case in.more <- struct{}{}:
		default:
		}
	}}
}

// wait returns the messages once there are n, or fails t after 10 s.
func (in *inbox) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		in.mu.Lock()
		got := append([]string(nil), in.msgs...)
		in.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-in.more:
		case <-deadline:
			t.Fatalf("received %d of %d messages in 10 s", len(got), n)
		}
	}
}

func everyNode(t *testing.T, open Open) {
	a, b := open(t), open(t)
	inA, inB := newInbox(), newInbox()
	a.Subscribe("chat", inA.handler())
	b.Subscribe("chat", inB.handler())
	if err := a.Publish(ctx, "chat", "u1:7"); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, "chat", "u2:9"); err != nil {
		t.Fatal(err)
	}
	// A final marker from each node: once both arrive, anything doubled would have too.
	for _, n := range []bus.Bus{a, b} {
		if err := n.Publish(ctx, "chat", "end"); err != nil {
			t.Fatal(err)
		}
	}
	for name, in := range map[string]*inbox{"a": inA, "b": inB} {
		waitFor(t, in, "end", 2)
		got := in.wait(t, 4)
		if count(got, "u1:7") != 1 || count(got, "u2:9") != 1 || len(got) != 4 {
			t.Fatalf("node %s received %q; want u1:7 and u2:9 once each and two ends", name, got)
		}
	}
}

func waitFor(t *testing.T, in *inbox, msg string, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		in.mu.Lock()
		c := count(in.msgs, msg)
		in.mu.Unlock()
		if c >= n {
			return
		}
		select {
		case <-in.more:
		case <-deadline:
			t.Fatalf("%q arrived %d times, want %d", msg, c, n)
		}
	}
}

func count(list []string, s string) int {
	n := 0
	for _, m := range list {
		if m == s {
			n++
		}
	}
	return n
}

func order(t *testing.T, open Open) {
	a, b := open(t), open(t)
	inA, inB := newInbox(), newInbox()
	a.Subscribe("chat", inA.handler())
	b.Subscribe("chat", inB.handler())
	const n = 2000
	for i := 0; i < n; i++ {
		if err := a.Publish(ctx, "chat", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	for name, in := range map[string]*inbox{"publisher": inA, "other": inB} {
		got := in.wait(t, n)
		for i, m := range got {
			if m != fmt.Sprint(i) {
				t.Fatalf("%s node: message %d is %q", name, i, m)
			}
		}
	}
}

func topics(t *testing.T, open Open) {
	a, b := open(t), open(t)
	chat, other := newInbox(), newInbox()
	b.Subscribe("chat", chat.handler())
	b.Subscribe("other_topic", other.handler())
	for _, p := range [][2]string{{"chat", "c1"}, {"other_topic", "o1"}, {"chat", "c2"}} {
		if err := a.Publish(ctx, p[0], p[1]); err != nil {
			t.Fatal(err)
		}
	}
	if got := chat.wait(t, 2); strings.Join(got, ",") != "c1,c2" {
		t.Fatalf("chat got %q", got)
	}
	if got := other.wait(t, 1); strings.Join(got, ",") != "o1" {
		t.Fatalf("other_topic got %q", got)
	}
}

func unsubscribe(t *testing.T, open Open) {
	a, b := open(t), open(t)
	gone, stays := newInbox(), newInbox()
	stop := b.Subscribe("chat", gone.handler())
	b.Subscribe("chat", stays.handler())
	if err := a.Publish(ctx, "chat", "first"); err != nil {
		t.Fatal(err)
	}
	gone.wait(t, 1)
	stays.wait(t, 1)
	stop()
	if err := a.Publish(ctx, "chat", "second"); err != nil {
		t.Fatal(err)
	}
	// "second" reached the remaining subscriber on the same node, so it was delivered there.
	stays.wait(t, 2)
	if got := gone.wait(t, 1); len(got) != 1 {
		t.Fatalf("unsubscribed handler received %q", got)
	}
}

func invalid(t *testing.T, open Open) {
	a := open(t)
	for _, tc := range []struct{ topic, msg string }{
		{"", "x"}, {"Chat", "x"}, {"chat-room", "x"}, {strings.Repeat("a", 64), "x"},
		{"chat", "two\nlines"}, {"chat", "nul\x00"}, {"chat", strings.Repeat("x", bus.MaxMessage+1)},
	} {
		if err := a.Publish(ctx, tc.topic, tc.msg); !errors.Is(err, bus.ErrInvalid) {
			t.Errorf("Publish(%q, %d bytes) = %v, want ErrInvalid", tc.topic, len(tc.msg), err)
		}
	}
	if err := a.Publish(ctx, "chat", strings.Repeat("x", bus.MaxMessage)); err != nil {
		t.Errorf("a message of MaxMessage bytes: %v", err)
	}
}

func burst(t *testing.T, open Open) {
	a, b := open(t), open(t)
	in := newInbox()
	b.Subscribe("chat", in.handler())
	const n = 300
	pad := strings.Repeat("p", 3000) // two to a NOTIFY at most: batching must split
	for i := 0; i < n; i++ {
		if err := a.Publish(ctx, "chat", fmt.Sprintf("%d:%s", i, pad)); err != nil {
			t.Fatal(err)
		}
	}
	got := in.wait(t, n)
	for i, m := range got {
		if m != fmt.Sprintf("%d:%s", i, pad) {
			t.Fatalf("message %d arrived as %.20q…", i, m)
		}
	}
}

func closed(t *testing.T, open Open) {
	a := open(t)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, "chat", "late"); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Publish after Close = %v, want ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
