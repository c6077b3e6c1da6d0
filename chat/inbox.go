package chat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/reelmart/reelmart/platform/db"
)

// appendEvent adds one inbox event to every member of threadID, inside tx:
// each member's head is bumped in user-id order (so two transactions never
// wait on each other's heads in a cycle) and a row is written at the new
// number. It returns what to announce once tx commits.
func (s *Service) appendEvent(ctx context.Context, tx *sql.Tx, threadID, kind string, refSeq int64, actorID string) ([]notice, error) {
	rows, err := tx.QueryContext(ctx, `INSERT INTO chat_inbox_heads (user_id, last_seq)
		SELECT user_id, 1 FROM chat_members WHERE thread_id = $1 ORDER BY user_id
		ON CONFLICT (user_id) DO UPDATE SET last_seq = chat_inbox_heads.last_seq + 1
		RETURNING user_id, last_seq`, threadID)
	if err != nil {
		return nil, fmt.Errorf("chat: bump inbox heads: %w", err)
	}
	var notices []notice
	for rows.Next() {
		var n notice
		if err := rows.Scan(&n.userID, &n.seq); err != nil {
			rows.Close()
			return nil, fmt.Errorf("chat: scan inbox head: %w", err)
		}
		notices = append(notices, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat: bump inbox heads: %w", err)
	}
	if len(notices) == 0 {
		return nil, nil
	}
	var sb strings.Builder
	var p db.Params
	now := p.Add(s.now())
	tid, k, ref, actor := p.Add(threadID), p.Add(kind), p.Add(refSeq), p.Add(actorID)
	for i, n := range notices {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%s, %s, %s, %s, %s, %s, %s)", p.Add(n.userID), p.Add(n.seq), k, tid, ref, actor, now)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO chat_inbox (user_id, seq, kind, thread_id, ref_seq, actor_id, created_at) VALUES `+sb.String(), p...); err != nil {
		return nil, fmt.Errorf("chat: insert inbox events: %w", err)
	}
	return notices, nil
}

// Head returns the last seq of userID's inbox (0 when it is empty).
func (s *Service) Head(ctx context.Context, userID string) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, `SELECT last_seq FROM chat_inbox_heads WHERE user_id = $1`, userID).Scan(&seq)
	if errors.Is(err, db.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("chat: read inbox head: %w", err)
	}
	return seq, nil
}

// heads returns the inbox heads of userIDs that have one.
func (s *Service) heads(ctx context.Context, userIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	for len(userIDs) > 0 {
		chunk := userIDs[:min(len(userIDs), 500)]
		userIDs = userIDs[len(chunk):]
		var p db.Params
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			marks[i] = p.Add(id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT user_id, last_seq FROM chat_inbox_heads WHERE user_id IN (`+strings.Join(marks, ", ")+`)`, p...)
		if err != nil {
			return nil, fmt.Errorf("chat: read inbox heads: %w", err)
		}
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				rows.Close()
				return nil, fmt.Errorf("chat: scan inbox head: %w", err)
			}
			out[id] = seq
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("chat: read inbox heads: %w", err)
		}
	}
	return out, nil
}

// Events returns userID's inbox events after seq `after`, oldest first, at most limit.
func (s *Service) Events(ctx context.Context, userID string, after int64, limit int) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.seq, i.kind, i.thread_id, i.ref_seq, i.actor_id, `+messageColumns+`
		FROM chat_inbox i LEFT JOIN chat_messages m ON i.kind = 'message' AND m.thread_id = i.thread_id AND m.seq = i.ref_seq
		WHERE i.user_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("chat: read inbox: %w", err)
	}
	var events []Event
	for rows.Next() {
		var e Event
		var ref int64
		var actor string
		var m nullableMessage
		if err := rows.Scan(append([]any{&e.Seq, &e.Type, &e.ThreadID, &ref, &actor}, m.targets()...)...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("chat: scan inbox event: %w", err)
		}
		switch e.Type {
		case EventMessage:
			e.Message = m.message()
		case EventRead:
			e.UserID, e.ReadSeq = actor, &ref
		}
		events = append(events, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat: read inbox: %w", err)
	}
	// A thread event shows the thread as this user sees it now.
	for i := range events {
		if events[i].Type != EventThread {
			continue
		}
		t, err := s.Thread(ctx, userID, events[i].ThreadID)
		if err != nil {
			return nil, err
		}
		events[i].Thread, events[i].ThreadID = &t, ""
	}
	return events, nil
}
