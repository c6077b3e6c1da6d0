package account

import (
	"context"
	"fmt"

	"github.com/reelmart/reelmart"
)

// ErrFollowSelf is returned when a user tries to follow themselves.
var ErrFollowSelf = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "cannot_follow_self", Message: "you cannot follow yourself"}

// Follow makes follower follow followee. Following twice is not an error.
// It returns ErrUserNotFound if followee does not exist and ErrFollowSelf for oneself.
func (s *Service) Follow(ctx context.Context, followerID, followeeID string) error {
	if followerID == followeeID {
		return ErrFollowSelf
	}
	if _, err := s.User(ctx, followeeID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (follower_id, followee_id) DO NOTHING`, followerID, followeeID, s.now())
	if err != nil {
		return fmt.Errorf("account: follow: %w", err)
	}
	return nil
}

// Unfollow stops follower following followee. Unfollowing someone not
// followed is not an error; an unknown followee is ErrUserNotFound.
func (s *Service) Unfollow(ctx context.Context, followerID, followeeID string) error {
	if _, err := s.User(ctx, followeeID); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2`, followerID, followeeID); err != nil {
		return fmt.Errorf("account: unfollow: %w", err)
	}
	return nil
}

// Profile returns the public profile of the user with id as seen by viewerID
// ("" for anonymous), or ErrUserNotFound.
func (s *Service) Profile(ctx context.Context, id, viewerID string) (Profile, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return Profile{}, err
	}
	return s.ProfileOf(ctx, u, viewerID)
}

// ProfileOf is Profile for a user already loaded (the caller, on /me), saving a query.
func (s *Service) ProfileOf(ctx context.Context, u User, viewerID string) (Profile, error) {
	p := Profile{User: u.Public()}
	var following int
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM follows WHERE followee_id = $1),
		(SELECT COUNT(*) FROM follows WHERE follower_id = $1),
		(SELECT COUNT(*) FROM follows WHERE follower_id = $2 AND followee_id = $1)`, u.ID, viewerID).
		Scan(&p.FollowerCount, &p.FollowingCount, &following)
	if err != nil {
		return Profile{}, fmt.Errorf("account: profile counts: %w", err)
	}
	p.IsFollowing = following > 0
	return p, nil
}
