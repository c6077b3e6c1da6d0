// Package chat owns conversations: one thread per pair (a user with a user,
// or a user with a shop), text and card messages with a gapless per-thread
// seq, read marks, and each user's inbox — a gapless sequence over every
// event delivered to them (messages, read marks, new threads), from which
// the Hub pushes to open sockets on this node and replays what a
// reconnecting client missed. Nodes wake each other through platform/bus;
// the database is the only source of events. docs/CHAT.md has the design.
package chat

import (
	"encoding/json"
	"time"

	"github.com/reelmart/reelmart"
)

// Thread kinds, and the kinds of a peer.
const (
	KindUser = "user"
	KindShop = "shop"
)

// Message kinds.
const (
	KindText = "text"
	KindCard = "card"
)

// Card kinds.
const (
	CardProduct = "product"
	CardOrder   = "order"
	CardVideo   = "video"
)

// Limits of what a client may send.
const (
	MaxBodyRunes        = 4000
	MaxClientMsgID      = 64
	DefaultThreadLimit  = 20
	MaxThreadLimit      = 100
	DefaultMessageLimit = 50
	MaxMessageLimit     = 200
)

// Ref names a user or shop (a peer) or a product, order or video (a card).
type Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Peer is the other side of a thread as one member sees it.
type Peer struct {
	Type      string  `json:"type"`
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Handle    string  `json:"handle,omitempty"`
	AvatarURL *string `json:"avatar_url"`
	Deleted   bool    `json:"deleted"`
}

// Thread is a conversation as one member sees it.
type Thread struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	Peer           Peer      `json:"peer"`
	ShopID         *string   `json:"shop_id"`
	LastMessage    *Message  `json:"last_message"`
	LastSeq        int64     `json:"last_seq"`
	ReadSeq        int64     `json:"read_seq"`
	UnreadCount    int64     `json:"unread_count"`
	PeerReadSeq    int64     `json:"peer_read_seq"`
	CreatedAt      time.Time `json:"created_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
}

// Message is one text or card in a thread. Card is the snapshot as stored.
type Message struct {
	ID          string          `json:"id"`
	ThreadID    string          `json:"thread_id"`
	Seq         int64           `json:"seq"`
	SenderID    string          `json:"sender_id"`
	ShopID      *string         `json:"shop_id"`
	Kind        string          `json:"kind"`
	Body        *string         `json:"body"`
	Card        json.RawMessage `json:"card"`
	ClientMsgID string          `json:"client_msg_id"`
	CreatedAt   time.Time       `json:"created_at"`
}

// MessageInput is a message to send: Body or Card, with the client's id for it.
type MessageInput struct {
	ClientMsgID string  `json:"client_msg_id"`
	Body        *string `json:"body"`
	Card        *Ref    `json:"card"`
}

// ThreadInput opens the thread with Peer, optionally asking about Context.
type ThreadInput struct {
	Peer    Ref  `json:"peer"`
	Context *Ref `json:"context"`
}

// ReadState is a member's read mark in a thread.
type ReadState struct {
	ThreadID    string `json:"thread_id"`
	ReadSeq     int64  `json:"read_seq"`
	UnreadCount int64  `json:"unread_count"`
}

// Page is one page of a list and the cursor of the next ("" at the end).
type Page[T any] struct {
	Items      []T
	NextCursor string
}

// Event types: what an inbox row is, and the "type" of its socket frame.
const (
	EventMessage = "message"
	EventRead    = "read"
	EventThread  = "thread"
)

// Event is one entry of a user's inbox, as its socket frame carries it. Seq
// is the inbox seq; the other fields depend on Type.
type Event struct {
	Type     string   `json:"type"`
	Seq      int64    `json:"seq"`
	ThreadID string   `json:"thread_id,omitempty"`
	Message  *Message `json:"message,omitempty"`
	UserID   string   `json:"user_id,omitempty"`
	ReadSeq  *int64   `json:"read_seq,omitempty"`
	Thread   *Thread  `json:"thread,omitempty"`
}

// ThreadExport is a thread with all its messages, oldest first.
type ThreadExport struct {
	Thread   Thread    `json:"thread"`
	Messages []Message `json:"messages"`
}

// Export is what chat keeps about one user, for GET /me/export.
type Export struct {
	Threads []ThreadExport `json:"threads"`
}

// Errors with stable codes.
var (
	ErrThreadNotFound = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "thread_not_found", Message: "no such thread"}
	ErrBlocked        = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "blocked", Message: "you cannot message this user: one of you has blocked the other"}
	ErrUserNotFound   = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "user_not_found", Message: "no such user"}
	ErrShopNotFound   = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "shop_not_found", Message: "no such shop"}
	ErrTooManySockets = &reelmart.Error{Kind: reelmart.KindRateLimited, Code: "too_many_sockets", Message: "too many open sockets for this user; close one first", RetryAfter: 5 * time.Second}
	ErrShuttingDown   = &reelmart.Error{Kind: reelmart.KindUnavailable, Code: "shutting_down", Message: "this server is shutting down; reconnect"}
)

func rateLimited(retry time.Duration) *reelmart.Error {
	return &reelmart.Error{Kind: reelmart.KindRateLimited, Code: "rate_limited", Message: "too many messages; wait before sending more", RetryAfter: retry}
}
