package chat

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/reelmart/reelmart"
)

// MarkRead moves userID's read mark in threadID forward to seq. A seq at or
// below the mark changes nothing; when the mark moves, every member gets a
// read event. It returns the read state, ErrThreadNotFound, or a validation
// error for a seq below 0 or above the thread's last message.
func (s *Service) MarkRead(ctx context.Context, userID, threadID string, seq int64) (ReadState, error) {
	if seq < 0 {
		return ReadState{}, reelmart.Invalid([]reelmart.FieldError{{Field: "seq", Message: "must be 0 or more"}})
	}
	st := ReadState{ThreadID: threadID}
	var notices []notice
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		notices = nil
		th, err := s.member(ctx, tx, userID, threadID)
		if err != nil {
			return err
		}
		if seq > th.lastSeq {
			return reelmart.Invalid([]reelmart.FieldError{{Field: "seq", Message: fmt.Sprintf("is past the thread's last message (%d)", th.lastSeq)}})
		}
		res, err := tx.ExecContext(ctx, `UPDATE chat_members SET read_seq = $3 WHERE thread_id = $1 AND user_id = $2 AND read_seq < $3`, threadID, userID, seq)
		if err != nil {
			return fmt.Errorf("chat: move read mark: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if notices, err = s.appendEvent(ctx, tx, threadID, EventRead, seq, userID); err != nil {
				return err
			}
		}
		err = tx.QueryRowContext(ctx, `SELECT m.read_seq, t.last_seq FROM chat_members m JOIN chat_threads t ON t.id = m.thread_id
			WHERE m.thread_id = $1 AND m.user_id = $2`, threadID, userID).Scan(&st.ReadSeq, &th.lastSeq)
		if err != nil {
			return fmt.Errorf("chat: read mark: %w", err)
		}
		st.UnreadCount = max(0, th.lastSeq-st.ReadSeq)
		return nil
	})
	if err != nil {
		return ReadState{}, err
	}
	s.announce(ctx, notices, &Event{Type: EventRead, ThreadID: threadID, UserID: userID, ReadSeq: &seq})
	return st, nil
}

// Unread returns how many messages userID has not read over all their threads.
func (s *Service) Unread(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN t.last_seq > m.read_seq THEN t.last_seq - m.read_seq ELSE 0 END), 0)
		FROM chat_members m JOIN chat_threads t ON t.id = m.thread_id WHERE m.user_id = $1`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("chat: count unread: %w", err)
	}
	return n, nil
}

// Export returns userID's threads, each with all its messages, oldest first.
func (s *Service) Export(ctx context.Context, userID string) (Export, error) {
	ex := Export{Threads: []ThreadExport{}}
	cursor := ""
	for {
		page, err := s.Threads(ctx, userID, cursor, MaxThreadLimit)
		if err != nil {
			return Export{}, err
		}
		for _, t := range page.Items {
			te := ThreadExport{Thread: t, Messages: []Message{}}
			var before int64
			for {
				mp, err := s.Messages(ctx, userID, t.ID, before, MaxMessageLimit)
				if err != nil {
					return Export{}, err
				}
				te.Messages = append(te.Messages, mp.Items...)
				if mp.NextCursor == "" {
					break
				}
				before = mp.Items[len(mp.Items)-1].Seq
			}
			// Pages arrive newest first: put the whole thread oldest first.
			slices.SortFunc(te.Messages, func(a, b Message) int { return cmp.Compare(a.Seq, b.Seq) })
			ex.Threads = append(ex.Threads, te)
		}
		if page.NextCursor == "" {
			return ex, nil
		}
		cursor = page.NextCursor
	}
}
