package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reelmart/reelmart/platform/db"
)

// sendTextSQL stores a text message on PostgreSQL in one statement, its
// writes as writable CTEs of one autocommit statement: the membership and
// block check, the replay check, the rate window, the thread's next seq,
// the message, every member's inbox event and the sender's read mark. It
// saves the nine round trips of the same steps as separate statements (the
// SQLite path, insertMessage), which bounded the send rate. A rule that
// fails part-way calls reelmart_abort, so nothing is left behind.
//
// $1 thread, $2 sender, $3 client_msg_id, $4 message id, $5 body, $6 now,
// $7 start of the rate window, $8 send limit.
const sendTextSQL = `WITH mem AS (
	SELECT t.kind, t.shop_id, m.side,
		EXISTS (SELECT 1 FROM chat_members o JOIN user_blocks b
			ON (b.blocker_id = o.user_id AND b.blocked_id = m.user_id) OR (b.blocker_id = m.user_id AND b.blocked_id = o.user_id)
			WHERE o.thread_id = t.id AND o.side <> m.side) AS blocked,
		EXISTS (SELECT 1 FROM chat_members o WHERE o.thread_id = t.id AND o.side <> m.side) AS others
	FROM chat_members m JOIN chat_threads t ON t.id = m.thread_id WHERE m.thread_id = $1 AND m.user_id = $2
), prior AS (
	SELECT seq FROM chat_messages WHERE thread_id = $1 AND sender_id = $2 AND client_msg_id = $3
), ok AS (
	SELECT CASE
		WHEN NOT EXISTS (SELECT 1 FROM mem) THEN reelmart_abort('thread_not_found')
		WHEN EXISTS (SELECT 1 FROM prior) THEN 0
		WHEN (SELECT blocked FROM mem) THEN reelmart_abort('blocked')
		WHEN NOT (SELECT others FROM mem) THEN reelmart_abort('peer_deleted')
		ELSE 1 END AS go
), w AS (
	INSERT INTO chat_send_windows (user_id, window_start, sent) SELECT $2, $6, 1 FROM ok WHERE go = 1
	ON CONFLICT (user_id) DO UPDATE SET
		sent = CASE WHEN chat_send_windows.window_start <= $7 THEN 1 ELSE chat_send_windows.sent + 1 END,
		window_start = CASE WHEN chat_send_windows.window_start <= $7 THEN $6 ELSE chat_send_windows.window_start END
	RETURNING sent
), t AS (
	UPDATE chat_threads SET last_seq = last_seq + 1, last_activity_at = $6
	WHERE id = $1 AND (SELECT CASE WHEN sent <= $8 THEN 1 ELSE reelmart_abort('rate_limited') END FROM w) = 1
	RETURNING last_seq
), msg AS (
	INSERT INTO chat_messages (thread_id, seq, id, sender_id, shop_id, kind, body, client_msg_id, created_at)
	SELECT $1, t.last_seq, $4, $2, CASE WHEN mem.kind = 'shop' AND mem.side = 'b' THEN mem.shop_id END, 'text', $5, $3, $6
	FROM t, mem RETURNING seq, shop_id
), h AS (
	INSERT INTO chat_inbox_heads (user_id, last_seq)
	SELECT user_id, 1 FROM chat_members WHERE thread_id = $1 AND EXISTS (SELECT 1 FROM msg) ORDER BY user_id
	ON CONFLICT (user_id) DO UPDATE SET last_seq = chat_inbox_heads.last_seq + 1
	RETURNING user_id, last_seq
), i AS (
	INSERT INTO chat_inbox (user_id, seq, kind, thread_id, ref_seq, actor_id, created_at)
	SELECT h.user_id, h.last_seq, 'message', $1, msg.seq, $2, $6 FROM h, msg
), r AS (
	UPDATE chat_members SET read_seq = (SELECT seq FROM msg)
	WHERE thread_id = $1 AND user_id = $2 AND EXISTS (SELECT 1 FROM msg)
)
SELECT (SELECT seq FROM prior), (SELECT seq FROM msg), (SELECT shop_id FROM msg),
	(SELECT COALESCE(string_agg(user_id || ':' || last_seq, ' '), '') FROM h)`

// sendTextPostgres is Send for a text message on PostgreSQL, in one statement.
// replay is true when the client id was already used: m is then empty and
// the caller reads the stored message.
func (s *Service) sendTextPostgres(ctx context.Context, userID, threadID string, in MessageInput) (m Message, notices []notice, replay bool, err error) {
	m = s.newTextMessage(userID, threadID, in)
	now := m.CreatedAt
	var prior, seq *int64
	var shopID *string
	var heads string
	err = s.db.QueryRowContext(ctx, sendTextSQL, threadID, userID, in.ClientMsgID, m.ID, *in.Body, now, now.Add(-s.cfg.SendWindow), s.cfg.SendLimit).
		Scan(&prior, &seq, &shopID, &heads)
	if reason, ok := db.Aborted(err); ok {
		switch reason {
		case "thread_not_found":
			return Message{}, nil, false, ErrThreadNotFound
		case "blocked":
			return Message{}, nil, false, ErrBlocked
		case "peer_deleted":
			return Message{}, nil, false, ErrPeerGone
		case "rate_limited":
			return Message{}, nil, false, s.retryAfter(ctx, userID)
		}
	}
	if err != nil {
		return Message{}, nil, false, err // a unique violation is a concurrent replay: Send reads it
	}
	if prior != nil || seq == nil {
		return Message{}, nil, true, nil
	}
	m.Seq, m.ShopID = *seq, shopID
	for _, part := range strings.Fields(heads) {
		u, n, _ := strings.Cut(part, ":")
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return Message{}, nil, false, fmt.Errorf("chat: inbox heads %q: %w", heads, err)
		}
		notices = append(notices, notice{userID: u, seq: v})
	}
	return m, notices, false, nil
}

// retryAfter is the rate-limit error for userID, with how long until the window ends.
func (s *Service) retryAfter(ctx context.Context, userID string) error {
	var start time.Time
	err := s.db.QueryRowContext(ctx, `SELECT window_start FROM chat_send_windows WHERE user_id = $1`, userID).Scan(&start)
	if err != nil && !errors.Is(err, db.ErrNoRows) {
		return fmt.Errorf("chat: read send window: %w", err)
	}
	return rateLimited(max(time.Second, start.Add(s.cfg.SendWindow).Sub(s.now())))
}
