package engagement

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LikeState is whether a user likes a video, with the video's like count.
type LikeState struct {
	VideoID string `json:"video_id"`
	Liked   bool   `json:"liked"`
	Likes   int64  `json:"likes"`
}

// Like makes userID like videoID; liking again changes nothing. It returns
// ErrVideoNotFound for a video that is missing, not ready or hidden from the user.
func (s *Service) Like(ctx context.Context, userID, videoID string) (LikeState, error) {
	return s.setLike(ctx, userID, videoID, true)
}

// Unlike takes userID's like of videoID back; not liking it is not an
// error. It returns ErrVideoNotFound as Like does.
func (s *Service) Unlike(ctx context.Context, userID, videoID string) (LikeState, error) {
	return s.setLike(ctx, userID, videoID, false)
}

func (s *Service) setLike(ctx context.Context, userID, videoID string, like bool) (LikeState, error) {
	if _, err := s.watchable(ctx, userID, videoID); err != nil {
		return LikeState{}, err
	}
	st := LikeState{VideoID: videoID, Liked: like}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		var res sql.Result
		var err error
		if like {
			res, err = tx.ExecContext(ctx, `INSERT INTO video_likes (user_id, video_id, created_at) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, video_id) DO NOTHING`, userID, videoID, now)
		} else {
			res, err = tx.ExecContext(ctx, `DELETE FROM video_likes WHERE user_id = $1 AND video_id = $2`, userID, videoID)
		}
		if err != nil {
			return fmt.Errorf("engagement: store like: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			delta, typ := int64(1), typeLike
			if !like {
				delta, typ = -1, typeUnlike
			}
			if err := countAction(ctx, tx, userID, videoID, typ, "likes", delta, now); err != nil {
				return err
			}
		}
		err = tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT likes FROM video_stats WHERE video_id = $1), 0)`, videoID).Scan(&st.Likes)
		if err != nil {
			return fmt.Errorf("engagement: read like count: %w", err)
		}
		return nil
	})
	if err != nil {
		return LikeState{}, err
	}
	return st, nil
}

// countAction adds delta to the column (likes or comments) of videoID's
// counters and of today's, and stores an event of typ, so the aggregator
// learns from it and re-indexes the video with its next batch.
func countAction(ctx context.Context, tx *sql.Tx, viewerID, videoID, typ, column string, delta int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO video_stats (video_id, `+column+`) VALUES ($1, $2)
		ON CONFLICT (video_id) DO UPDATE SET `+column+` = video_stats.`+column+` + excluded.`+column, videoID, delta)
	if err != nil {
		return fmt.Errorf("engagement: count %s: %w", column, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO video_daily (video_id, day, `+column+`) VALUES ($1, $2, $3)
		ON CONFLICT (video_id, day) DO UPDATE SET `+column+` = video_daily.`+column+` + excluded.`+column, videoID, now.Format(time.DateOnly), delta)
	if err != nil {
		return fmt.Errorf("engagement: count %s of the day: %w", column, err)
	}
	return insertEvents(ctx, tx, viewerID, videoID, []storedEvent{{Event: Event{Type: typ}, counted: true, sessionAt: now, at: now}})
}
