package feed

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/reelmart/reelmart/media"
)

// Item is a feed item: the video as GET /videos/{id} shows it (pins with
// price and stock included), with its counters, whether the viewer liked
// it, whether they follow its creator, and with debug=1 why it ranked
// where it did.
type Item struct {
	media.Video
	Creator Creator `json:"creator"` // shadows Video's, adding is_following
	Stats   Stats   `json:"stats"`
	Liked   bool    `json:"liked"`
	Debug   *Debug  `json:"debug,omitempty"`
}

// Creator is a video's creator as the viewer sees them.
type Creator struct {
	media.Creator
	IsFollowing bool `json:"is_following"`
}

// Debug explains an item's place: Score is the sum of Parts.
type Debug struct {
	Score   float64  `json:"score"`
	Parts   Parts    `json:"parts"`
	Rates   Rates    `json:"rates"`
	Sources []string `json:"sources"`
	Explore bool     `json:"explore"`
}

// items turns ranked entries into feed items, in order, read fresh from the
// database. An entry whose video stopped being ready, or whose creator the
// viewer now must not see, is left out; one whose video is gone also gets
// an index job, which leaves a tombstone (a cascade deletion, such as an
// account's, removes videos without telling the index). known, when not
// nil, is the viewer as this request read them to rank the entries: their
// follows and hidden creators are taken from it rather than read again.
func (s *Service) items(ctx context.Context, viewerID string, entries []batchItem, debug bool, known *viewerState) ([]Item, error) {
	out := []Item{}
	if len(entries) == 0 {
		return out, nil
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	var (
		videos    map[string]media.Video
		stats     map[string]Stats
		liked     map[string]bool
		followees []string
		hidden    []string
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { videos, err = s.videos.Videos(gctx, ids); return err })
	g.Go(func() (err error) { stats, err = s.signals.Stats(gctx, ids); return err })
	if viewerID != "" {
		g.Go(func() (err error) { liked, err = s.signals.Liked(gctx, viewerID, ids); return err })
		if known != nil && known.id == viewerID {
			followees, hidden = known.followees, known.hidden
		} else {
			g.Go(func() (err error) { followees, err = s.follows.Followees(gctx, viewerID, maxFollowees); return err })
			g.Go(func() (err error) { hidden, err = s.hidden(gctx, viewerID); return err })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("feed: load items: %w", err)
	}
	follows, skip := set(followees), set(hidden)
	skip[viewerID] = false // one's own videos, found by search, may show
	var gone []string
	for _, e := range entries {
		v, ok := videos[e.ID]
		if !ok {
			gone = append(gone, e.ID)
			continue
		}
		if v.Status != media.StatusReady || skip[v.Creator.ID] {
			continue
		}
		it := Item{Video: v, Creator: Creator{Creator: v.Creator, IsFollowing: follows[v.Creator.ID]}, Stats: stats[e.ID], Liked: liked[e.ID]}
		if debug {
			it.Debug = e.debug()
		}
		out = append(out, it)
	}
	if len(gone) > 0 {
		if err := s.VideosChanged(context.WithoutCancel(ctx), nil, gone...); err != nil {
			s.log.WarnContext(ctx, "feed: enqueue tombstones of deleted videos", "videos", gone, "err", err)
		}
	}
	return out, nil
}

func set(ids []string) map[string]bool {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}
