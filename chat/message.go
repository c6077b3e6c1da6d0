package chat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// ErrPeerGone is a send to a thread whose other side has deleted its account.
var ErrPeerGone = &reelmart.Error{Kind: reelmart.KindConflict, Code: "peer_deleted", Message: "the other side of this thread has deleted their account"}

// Transports a message can arrive by, for the sent-messages metric.
const (
	ViaHTTP   = "http"
	ViaSocket = "ws"
)

func (in MessageInput) validate() error {
	var errs []reelmart.FieldError
	add := func(field, msg string) { errs = append(errs, reelmart.FieldError{Field: field, Message: msg}) }
	if msg := checkClientMsgID(in.ClientMsgID); msg != "" {
		add("client_msg_id", msg)
	}
	switch {
	case in.Body == nil && in.Card == nil:
		add("body", "is required (or send a card)")
	case in.Body != nil && in.Card != nil:
		add("card", "cannot be sent with a body: send one or the other")
	case in.Body != nil:
		if n := utf8.RuneCountInString(*in.Body); n == 0 || n > MaxBodyRunes {
			add("body", "must be 1 to 4000 characters")
		}
	default:
		if t := in.Card.Type; t != CardProduct && t != CardOrder && t != CardVideo {
			add("card.type", `must be "product", "order" or "video"`)
		}
		if in.Card.ID == "" {
			add("card.id", "is required")
		}
	}
	return reelmart.Invalid(errs)
}

func checkClientMsgID(id string) string {
	if id == "" || len(id) > MaxClientMsgID {
		return "must be 1 to 64 characters"
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "may use only letters, digits, '-', '_' and '.'"
		}
	}
	return ""
}

// Send stores a message from userID in threadID and announces it. A retry
// with a ClientMsgID this sender already used in the thread returns the
// stored message with created false, and stores and announces nothing. It
// returns a validation error naming each bad field, ErrThreadNotFound,
// ErrBlocked, ErrPeerGone, or a KindRateLimited error with RetryAfter.
func (s *Service) Send(ctx context.Context, userID, threadID string, in MessageInput, via string) (Message, bool, error) {
	if err := in.validate(); err != nil {
		return Message{}, false, err
	}
	if in.Card == nil && s.db.Dialect() == db.Postgres {
		return s.sendText(ctx, userID, threadID, in, via)
	}
	th, err := s.member(ctx, s.db, userID, threadID)
	if err != nil {
		return Message{}, false, err
	}
	var card json.RawMessage
	var cardKey string
	if in.Card != nil {
		// A retried card is answered before its thing is looked at again.
		if m, err := s.byClientID(ctx, s.db, threadID, userID, in.ClientMsgID); err == nil {
			return m, false, nil
		} else if !errors.Is(err, db.ErrNoRows) {
			return Message{}, false, err
		}
		if card, cardKey, err = s.snapshot(ctx, userID, *in.Card, th.pair, "card.id"); err != nil {
			return Message{}, false, err
		}
	}
	var m Message
	var replay bool
	var notices []notice
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		replay = false
		if m, err = s.byClientID(ctx, tx, threadID, userID, in.ClientMsgID); err == nil {
			replay = true
			return nil
		} else if !errors.Is(err, db.ErrNoRows) {
			return err
		}
		if th.blocked {
			return ErrBlocked
		}
		if th.others == 0 {
			return ErrPeerGone
		}
		m, notices, err = s.insertMessage(ctx, tx, th, userID, in.Body, card, cardKey, in.ClientMsgID)
		return err
	})
	if _, dup := db.UniqueViolation(err); dup {
		// A concurrent send of the same ClientMsgID won; answer with its row.
		m, err = s.byClientID(ctx, s.db, threadID, userID, in.ClientMsgID)
		return m, false, err
	}
	if err != nil || replay {
		return m, false, err
	}
	s.metrics.sent.WithLabelValues(via).Inc()
	s.announce(ctx, notices, messageEvent(m))
	return m, true, nil
}

// sendText is Send for a text message on PostgreSQL: one statement, shared
// with the other messages of its batch, or its own when the batch left it
// out (a refusal, a retry, a failed batch).
func (s *Service) sendText(ctx context.Context, userID, threadID string, in MessageInput, via string) (Message, bool, error) {
	batchID := ""
	if s.batch != nil {
		first := s.newTextMessage(userID, threadID, in)
		m, stored, err := s.batch.send(ctx, first, via)
		if err != nil || stored {
			return m, stored, err
		}
		batchID = first.ID
	}
	m, notices, replay, err := s.sendTextPostgres(ctx, userID, threadID, in)
	if _, dup := db.UniqueViolation(err); dup || err == nil && replay {
		m, err = s.byClientID(ctx, s.db, threadID, userID, in.ClientMsgID)
		// A batch statement that failed after its commit stored this very
		// message: it is new to the caller, though its events reach the
		// sockets only when the hub next reconciles.
		return m, err == nil && batchID != "" && m.ID == batchID, err
	}
	if err != nil {
		return Message{}, false, err
	}
	s.metrics.sent.WithLabelValues(via).Inc()
	s.announce(ctx, notices, messageEvent(m))
	return m, true, nil
}

// messageEvent is the inbox event of m, without the per-user inbox seq.
func messageEvent(m Message) *Event {
	return &Event{Type: EventMessage, ThreadID: m.ThreadID, Message: &m}
}

func (s *Service) byClientID(ctx context.Context, q db.Querier, threadID, senderID, clientMsgID string) (Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageColumns+` FROM chat_messages m
		WHERE m.thread_id = $1 AND m.sender_id = $2 AND m.client_msg_id = $3`, threadID, senderID, clientMsgID))
	if err != nil && !errors.Is(err, db.ErrNoRows) {
		return Message{}, fmt.Errorf("chat: find message by client id: %w", err)
	}
	return m, err
}

// insertMessage counts the message against the sender's rate limit, takes
// the thread's next seq, stores the message, adds it to every member's
// inbox and moves the sender's read mark to it, all inside tx.
func (s *Service) insertMessage(ctx context.Context, tx *sql.Tx, th membership, senderID string, body *string, card json.RawMessage, cardKey, clientMsgID string) (Message, []notice, error) {
	if err := s.countSend(ctx, tx, senderID); err != nil {
		return Message{}, nil, err
	}
	now := s.now()
	m := Message{ID: reelmart.NewID(), ThreadID: th.id, SenderID: senderID, Kind: KindText, Body: body, ClientMsgID: clientMsgID, CreatedAt: now}
	var cardText any
	if card != nil {
		m.Kind, m.Card, cardText = KindCard, card, string(card)
	}
	if th.kind == KindShop && th.side == "b" {
		m.ShopID = &th.shopID
	}
	err := tx.QueryRowContext(ctx, `UPDATE chat_threads SET last_seq = last_seq + 1, last_activity_at = $2,
		last_card = CASE WHEN $3 = '' THEN last_card ELSE $3 END WHERE id = $1 RETURNING last_seq`, th.id, now, cardKey).Scan(&m.Seq)
	if err != nil {
		return Message{}, nil, fmt.Errorf("chat: next seq: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO chat_messages (thread_id, seq, id, sender_id, shop_id, kind, body, card, client_msg_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, th.id, m.Seq, m.ID, senderID, m.ShopID, m.Kind, body, cardText, clientMsgID, now)
	if err != nil {
		return Message{}, nil, fmt.Errorf("chat: insert message: %w", err)
	}
	notices, err := s.appendEvent(ctx, tx, th.id, EventMessage, m.Seq, senderID)
	if err != nil {
		return Message{}, nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE chat_members SET read_seq = $3 WHERE thread_id = $1 AND user_id = $2 AND read_seq < $3`,
		th.id, senderID, m.Seq); err != nil {
		return Message{}, nil, fmt.Errorf("chat: move the sender's read mark: %w", err)
	}
	return m, notices, nil
}

// countSend counts one message in userID's window, or fails with a
// rate-limit error; either way inside tx, so a send that fails later, or
// is refused here, does not count.
func (s *Service) countSend(ctx context.Context, tx *sql.Tx, userID string) error {
	now := s.now()
	var sent int
	var start time.Time
	err := tx.QueryRowContext(ctx, `INSERT INTO chat_send_windows (user_id, window_start, sent) VALUES ($1, $2, 1)
		ON CONFLICT (user_id) DO UPDATE SET
			sent = CASE WHEN chat_send_windows.window_start <= $3 THEN 1 ELSE chat_send_windows.sent + 1 END,
			window_start = CASE WHEN chat_send_windows.window_start <= $3 THEN $2 ELSE chat_send_windows.window_start END
		RETURNING sent, window_start`, userID, now, now.Add(-s.cfg.SendWindow)).Scan(&sent, &start)
	if err != nil {
		return fmt.Errorf("chat: count send: %w", err)
	}
	if sent > s.cfg.SendLimit {
		return rateLimited(start.Add(s.cfg.SendWindow).Sub(now))
	}
	return nil
}

// Messages returns threadID's messages for userID, newest first, with seq
// below beforeSeq (0: from the last), at most limit (clamped to
// 1..MaxMessageLimit). NextCursor is the beforeSeq of the next, older page.
func (s *Service) Messages(ctx context.Context, userID, threadID string, beforeSeq int64, limit int) (Page[Message], error) {
	if limit <= 0 {
		limit = DefaultMessageLimit
	}
	limit = min(limit, MaxMessageLimit)
	if _, err := s.member(ctx, s.db, userID, threadID); err != nil {
		return Page[Message]{}, err
	}
	if beforeSeq <= 0 {
		beforeSeq = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageColumns+` FROM chat_messages m
		WHERE m.thread_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3`, threadID, beforeSeq, limit)
	if err != nil {
		return Page[Message]{}, fmt.Errorf("chat: list messages: %w", err)
	}
	defer rows.Close()
	page := Page[Message]{Items: []Message{}}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return Page[Message]{}, fmt.Errorf("chat: scan message: %w", err)
		}
		page.Items = append(page.Items, m)
	}
	if err := rows.Err(); err != nil {
		return Page[Message]{}, fmt.Errorf("chat: list messages: %w", err)
	}
	if n := len(page.Items); n == limit && page.Items[n-1].Seq > 1 {
		page.NextCursor = strconv.FormatInt(page.Items[n-1].Seq, 10)
	}
	return page, nil
}
