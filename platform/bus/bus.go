// Package bus carries short notices between the nodes of one deployment:
// "something changed, go and read it". Engines: bus/memory (one process, the
// embedded deployment) and bus/postgres (LISTEN/NOTIFY, many nodes on one
// PostgreSQL). Every engine passes the contract in bus/bustest.
//
// A bus is a wake-up signal, not a store. Delivery is at most once: a node
// that is down or reconnecting misses notices, and says so through
// Handler.Missed, so a subscriber keeps its truth elsewhere (the database)
// and re-reads it then. Messages are short text because PostgreSQL's NOTIFY
// payload is (at most 8,000 bytes, text only).
package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// MaxMessage is the longest message, in bytes, that every engine carries.
const MaxMessage = 7000

// Errors every engine returns for the same causes.
var (
	// ErrInvalid is a topic or message the bus cannot carry (see Check).
	ErrInvalid = errors.New("bus: invalid topic or message")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("bus: closed")
)

// Handler receives the messages of one topic. Both functions run on the
// engine's delivery goroutine and must return quickly: hand the work to
// another goroutine instead of doing I/O in them, and never call Publish.
type Handler struct {
	// Notice is called once for every message published on the topic, by
	// any node, this one included, in the order each node published them.
	Notice func(msg string)
	// Missed, when set, is called when messages may have been lost (the
	// engine lost its connection and got it back).
	Missed func()
}

// Bus publishes and delivers messages by topic.
type Bus interface {
	// Publish queues msg for every subscriber of topic on every node. It
	// returns ErrInvalid for a topic or message Check refuses, ErrClosed
	// after Close, or ctx's error if the engine's queue stays full until
	// ctx ends. A nil error means the engine took the message, not that
	// anyone received it.
	Publish(ctx context.Context, topic, msg string) error
	// Subscribe calls h for the messages on topic until the returned
	// function is called.
	Subscribe(topic string, h Handler) (unsubscribe func())
	// Close stops delivery and releases the engine's connections. It may be
	// called more than once.
	Close() error
}

// Check returns ErrInvalid unless topic is 1–63 of a–z, 0–9 and '_', and
// msg is at most MaxMessage bytes holding no newline or NUL.
func Check(topic, msg string) error {
	if topic == "" || len(topic) > 63 {
		return fmt.Errorf("%w: topic must be 1–63 characters", ErrInvalid)
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("%w: topic %q may use only a–z, 0–9 and '_'", ErrInvalid, topic)
		}
	}
	if len(msg) > MaxMessage {
		return fmt.Errorf("%w: message of %d bytes is over %d", ErrInvalid, len(msg), MaxMessage)
	}
	if strings.ContainsAny(msg, "\n\x00") {
		return fmt.Errorf("%w: message holds a newline or NUL", ErrInvalid)
	}
	return nil
}
