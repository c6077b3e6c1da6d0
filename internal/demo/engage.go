package demo

import (
	"context"
	"fmt"
)

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
			if err := s.d.Engagement.Comment(ctx, s.users[c.Handle], id, c.Body); err != nil {
				return fmt.Errorf("demo: @%s comments on video %d: %w", c.Handle, i+1, err)
			}
			s.step(true, "comment by @%s on video %d", c.Handle, i+1)
		}
	}
	return nil
}
