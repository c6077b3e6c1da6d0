package feed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/platform/search"
)

// Search paging limits.
const (
	DefaultSearchLimit = 20
	MaxSearchLimit     = 100
	maxSearchWindow    = 10_000 // the engines refuse From+Size past it
	maxQueryRunes      = 1000
)

// SearchRequest asks for one page of search results.
type SearchRequest struct {
	ViewerID string
	Text     string
	Cursor   string
	Limit    int
}

// Results is one page of search results and the total number of matches.
type Results[T any] struct {
	Items      []T
	NextCursor string
	Total      int
}

type searchCursor struct {
	Offset int `json:"o"`
}

// checkSearch validates a search request and returns its offset and limit.
func (s *Service) checkSearch(ctx context.Context, r SearchRequest) (from, limit int, err error) {
	var bad []reelmart.FieldError
	switch {
	case r.Limit == 0:
		limit = DefaultSearchLimit
	case r.Limit < 1 || r.Limit > MaxSearchLimit:
		bad = append(bad, reelmart.FieldError{Field: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", MaxSearchLimit)})
	default:
		limit = r.Limit
	}
	if utf8.RuneCountInString(r.Text) > maxQueryRunes {
		bad = append(bad, reelmart.FieldError{Field: "q", Message: fmt.Sprintf("must be at most %d characters", maxQueryRunes)})
	}
	if r.Cursor != "" {
		var cur searchCursor
		if err := s.keys.open(ctx, kindSearch, r.ViewerID, r.Cursor, &cur); err != nil {
			if !errors.Is(err, errCursor) {
				return 0, 0, err
			}
			bad = append(bad, reelmart.FieldError{Field: "cursor", Message: "is not a cursor this endpoint returned"})
		}
		from = cur.Offset
	}
	return from, limit, reelmart.Invalid(bad)
}

// next returns the cursor of the page after one that ended at offset end.
func (s *Service) next(ctx context.Context, viewerID string, end, total int) (string, error) {
	if end >= total || end >= maxSearchWindow {
		return "", nil
	}
	return s.keys.seal(ctx, kindSearch, viewerID, searchCursor{Offset: end})
}

// SearchVideos finds ready videos by relevance of Text to their hashtags
// (weighing most), caption, creator handle and pinned products' titles;
// blank Text lists them newest first. Creators the viewer blocked, or who
// blocked them, are left out. It returns a validation error naming a bad
// parameter and ErrSearchUnavailable when the engine fails.
func (s *Service) SearchVideos(ctx context.Context, r SearchRequest) (Results[Item], error) {
	from, limit, err := s.checkSearch(ctx, r)
	if err != nil {
		return Results[Item]{}, err
	}
	out := Results[Item]{Items: []Item{}}
	if from >= maxSearchWindow {
		return out, nil
	}
	hidden, err := s.blocked(ctx, r.ViewerID)
	if err != nil {
		return Results[Item]{}, err
	}
	q := search.Query{Text: r.Text, Fields: []string{}, From: from, Size: min(limit, maxSearchWindow-from)}
	if len(hidden) > 0 {
		q.Filters = []search.Filter{{Field: "creator_id", Values: anys(hidden), Not: true}}
	}
	if strings.TrimSpace(r.Text) == "" {
		q.Sort = []search.Sort{{Field: "published_at", Desc: true}}
	}
	var res search.Result
	err = s.withIndex(ctx, func() error {
		var err error
		res, err = s.index.Search(ctx, IndexName, q)
		return err
	})
	if errors.Is(err, search.ErrInvalid) {
		return Results[Item]{}, fmt.Errorf("feed: search videos: %w", err) // a bug here, not the client's
	}
	if err != nil {
		s.log.ErrorContext(ctx, "feed: search videos", "err", err)
		return Results[Item]{}, ErrSearchUnavailable
	}
	entries := make([]batchItem, len(res.Hits))
	for i, h := range res.Hits {
		entries[i] = batchItem{ID: h.ID}
	}
	if out.Items, err = s.items(ctx, r.ViewerID, entries, false, nil); err != nil {
		return Results[Item]{}, err
	}
	out.Total = res.Total
	out.NextCursor, err = s.next(ctx, r.ViewerID, from+len(res.Hits), res.Total)
	return out, err
}

// SearchUsers finds accounts by handle and display name (see Users),
// leaving out those the viewer blocked or who blocked them. Blank Text
// finds nobody. It returns a validation error naming a bad parameter.
func (s *Service) SearchUsers(ctx context.Context, r SearchRequest) (Results[account.Profile], error) {
	from, limit, err := s.checkSearch(ctx, r)
	if err != nil {
		return Results[account.Profile]{}, err
	}
	out := Results[account.Profile]{Items: []account.Profile{}}
	if s.users == nil || strings.TrimSpace(r.Text) == "" {
		return out, nil
	}
	hidden, err := s.blocked(ctx, r.ViewerID)
	if err != nil {
		return Results[account.Profile]{}, err
	}
	items, total, err := s.users.SearchUsers(ctx, strings.TrimSpace(r.Text), r.ViewerID, hidden, from, limit)
	if err != nil {
		return Results[account.Profile]{}, fmt.Errorf("feed: search users: %w", err)
	}
	if items != nil {
		out.Items = items
	}
	out.Total = total
	out.NextCursor, err = s.next(ctx, r.ViewerID, from+len(items), total)
	return out, err
}

// blocked is hidden without the viewer: search may find one's own videos.
func (s *Service) blocked(ctx context.Context, viewerID string) ([]string, error) {
	ids, err := s.hidden(ctx, viewerID)
	if err != nil {
		return nil, fmt.Errorf("feed: load hidden creators: %w", err)
	}
	return slices.DeleteFunc(ids, func(id string) bool { return id == viewerID }), nil
}
