package account

import (
	"context"
	"fmt"

	"github.com/reelmart/reelmart"
)

// ErrBlockSelf is returned when a user tries to block themselves.
var ErrBlockSelf = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "cannot_block_self", Message: "you cannot block yourself"}

// Block makes blocker block blocked: while either has blocked the other,
// neither can chat with the other, and each is hidden from the other's feed
// and comments (see Hidden). Blocking twice is not an error. It returns
// ErrUserNotFound for an unknown user and ErrBlockSelf for oneself.
func (s *Service) Block(ctx context.Context, blockerID, blockedID string) error {
	if blockerID == blockedID {
		return ErrBlockSelf
	}
	if _, err := s.User(ctx, blockedID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO user_blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (blocker_id, blocked_id) DO NOTHING`, blockerID, blockedID, s.now())
	if err != nil {
		return fmt.Errorf("account: block: %w", err)
	}
	return nil
}

// Unblock lifts blocker's block of blocked. Unblocking someone not blocked
// is not an error; an unknown user is ErrUserNotFound.
func (s *Service) Unblock(ctx context.Context, blockerID, blockedID string) error {
	if _, err := s.User(ctx, blockedID); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM user_blocks WHERE blocker_id = $1 AND blocked_id = $2`, blockerID, blockedID); err != nil {
		return fmt.Errorf("account: unblock: %w", err)
	}
	return nil
}

// IsBlocked reports whether either of a and b has blocked the other: the
// rule chat applies before a thread is opened or a message sent.
func (s *Service) IsBlocked(ctx context.Context, a, b string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_blocks
		WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1)`, a, b).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("account: read blocks: %w", err)
	}
	return n > 0, nil
}

// Hidden returns the ids of the users viewerID must not see: those the
// viewer blocked and those who blocked the viewer. It is empty (not nil) for
// an anonymous viewer ("") or one with no blocks. The feed and comments
// leave out these users' videos and comments.
func (s *Service) Hidden(ctx context.Context, viewerID string) ([]string, error) {
	ids := []string{}
	if viewerID == "" {
		return ids, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT blocked_id FROM user_blocks WHERE blocker_id = $1
		UNION SELECT blocker_id FROM user_blocks WHERE blocked_id = $1`, viewerID)
	if err != nil {
		return nil, fmt.Errorf("account: list hidden users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("account: scan hidden user: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Blocked returns the users blockerID has blocked, oldest block first, for the export.
func (s *Service) Blocked(ctx context.Context, blockerID string) ([]User, error) {
	return s.listUsers(ctx, `SELECT `+userColumns("u.")+` FROM user_blocks b
		JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = $1 ORDER BY b.created_at, u.id`, blockerID)
}
