package demo

import (
	"context"
	"fmt"

	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/platform/db"
)

// Social is the seeder's Engagement over the engagement service, so demo
// likes and comments are counted, indexed and rate-limited like anyone's
// (give the service a comment rate the demo's busiest commenter fits in).
type Social struct {
	DB      *db.DB
	Service *engagement.Service
}

// Like likes videoID as userID; liking twice is one like.
func (s Social) Like(ctx context.Context, userID, videoID string) error {
	_, err := s.Service.Like(ctx, userID, videoID)
	return err
}

// Comment posts body on videoID as userID unless the same author already
// said the same there, which is how a second seed finds its comments.
func (s Social) Comment(ctx context.Context, userID, videoID, body string) (bool, error) {
	var n int
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE video_id = $1 AND author_id = $2 AND body = $3`,
		videoID, userID, body).Scan(&n)
	if err != nil || n > 0 {
		return false, err
	}
	if _, err := s.Service.PostComment(ctx, userID, videoID, engagement.NewComment{Body: body}); err != nil {
		return false, err
	}
	return true, nil
}

// engage waits for the demo videos to be ready and has the demo accounts
// like and comment on them. Without an Engagement it does nothing.
func (s *Seeder) engage(ctx context.Context) error {
	if s.d.Engagement == nil {
		return nil
	}
	s.report(Progress{Step: "waiting for the videos to be ready before liking and commenting", Done: s.done, Total: s.total()})
	ready, err := s.waitReady(ctx)
	if err != nil {
		return err
	}
	for i, id := range s.videoIDs {
		if !ready[id] {
			s.d.Log.WarnContext(ctx, "demo: video not ready; no likes or comments for it", "video_id", id)
			continue
		}
		for _, h := range likers {
			if h == videos[i].Creator {
				continue
			}
			if err := s.d.Engagement.Like(ctx, s.users[h], id); err != nil {
				return fmt.Errorf("demo: @%s likes video %d: %w", h, i+1, err)
			}
		}
		s.step(false, "likes on video %d", i+1)
		for _, c := range comments[i] {
			added, err := s.d.Engagement.Comment(ctx, s.users[c.Handle], id, c.Body)
			if err != nil {
				return fmt.Errorf("demo: @%s comments on video %d: %w", c.Handle, i+1, err)
			}
			s.step(added, "comment by @%s on video %d", c.Handle, i+1)
		}
	}
	return nil
}
