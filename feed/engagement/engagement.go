// Package engagement owns what viewers do with videos and what is learned
// from it: watch events (views, progress, completions, shares, product
// clicks), likes and comments; per-video counters, per-day counters and
// audience retention for creators; and each viewer's interest profile over
// hashtags and creators, decaying with time.
//
// Events are stored as they arrive, each batch in one transaction, after the
// rules that keep counters honest have been applied (an event id once per
// viewer per day, a view once per viewer and video per window, watch time no
// more than the wall-clock time between batches, a rate per viewer and per
// client address). A background aggregator adds stored events to the
// counters and profiles exactly once, and tells the feed (Reindexer) which
// videos changed, in the same transaction. The database is the source of
// truth: counters and profiles are never only in a search index.
//
// Viewers are users (their user id) or signed-out viewers, whose id travels
// in a cookie signed with a key kept in the database, so every API node
// accepts every cookie. At sign-in, MergeViewer moves a signed-out viewer's
// history and profile into the account.
package engagement

import (
	"context"
	"database/sql"
	"time"

	"github.com/reelmart/reelmart"
)

// Stats are the counters of one video. Likes and Comments change with each
// like and comment; the others are added by the aggregator, a few seconds
// behind the events. AddToCarts and Purchases come from checkout's sales
// signals (purchases net of refunds). CompletionRate is Completions / Views,
// at most 1 (0 without views).
type Stats struct {
	Views          int64   `json:"views"`
	UniqueViewers  int64   `json:"unique_viewers"`
	WatchMS        int64   `json:"watch_ms"`
	Completions    int64   `json:"completions"`
	CompletionRate float64 `json:"completion_rate"`
	Likes          int64   `json:"likes"`
	Shares         int64   `json:"shares"`
	Comments       int64   `json:"comments"`
	ProductClicks  int64   `json:"product_clicks"`
	AddToCarts     int64   `json:"add_to_carts"`
	Purchases      int64   `json:"purchases"`
}

// Profile is a viewer's interests, strongest first, with weights decayed to
// the time of the call. A viewer with no history has empty lists.
type Profile struct {
	Hashtags []TagWeight     `json:"hashtags"`
	Creators []CreatorWeight `json:"creators"`
	// HalfLifeHours is how long a signal takes to lose half its weight.
	HalfLifeHours float64 `json:"half_life_hours"`
}

// TagWeight is the weight of one hashtag (lowercase, without '#').
type TagWeight struct {
	Tag    string  `json:"tag"`
	Weight float64 `json:"weight"`
}

// CreatorWeight is the weight of one creator.
type CreatorWeight struct {
	CreatorID string  `json:"creator_id"`
	Weight    float64 `json:"weight"`
}

// Reindexer is the feed's side of the flush: VideosChanged bumps each
// video's index version and enqueues its index job inside tx, so the index
// job exists exactly when the counters it carries have committed.
type Reindexer interface {
	VideosChanged(ctx context.Context, tx *sql.Tx, videoIDs ...string) error
}

// ReindexerFunc lets a function be a Reindexer, for wiring the feed in
// after the engagement service it depends on.
type ReindexerFunc func(ctx context.Context, tx *sql.Tx, videoIDs ...string) error

// VideosChanged calls f.
func (f ReindexerFunc) VideosChanged(ctx context.Context, tx *sql.Tx, videoIDs ...string) error {
	return f(ctx, tx, videoIDs...)
}

// ViewerMerger moves what another part keeps about the signed-out viewer
// from into the account to, inside MergeViewer's transaction (the feed
// moves its served history).
type ViewerMerger func(ctx context.Context, tx *sql.Tx, from, to string) error

// Blocks says whom a viewer must not see: Hidden returns the ids of the
// users the viewer blocked or who blocked the viewer. Their comments are
// left out of listings and their videos cannot be commented on or liked.
type Blocks interface {
	Hidden(ctx context.Context, viewerID string) ([]string, error)
}

// Event types a client may send to POST /videos/{id}/events.
const (
	TypeView         = "view"
	TypeProgress     = "progress"
	TypeComplete     = "complete"
	TypeShare        = "share"
	TypeProductClick = "product_click"
)

// Event types the service writes itself, so the aggregator learns from
// likes and comments and re-indexes their videos.
const (
	typeLike      = "like"
	typeUnlike    = "unlike"
	typeComment   = "comment"
	typeUncomment = "uncomment"
)

// Event is one client event as POST /videos/{id}/events takes it.
// PositionMS is the playback position when it happened; WatchedMS is the
// playback time since the viewer's previous event for this video (loops
// included); ProductID names the pinned product of a product_click.
type Event struct {
	EventID    string `json:"event_id"`
	Type       string `json:"type"`
	PositionMS int64  `json:"position_ms"`
	WatchedMS  int64  `json:"watched_ms"`
	ProductID  string `json:"product_id,omitempty"`
}

// Receipt says what became of a batch: Accepted events were stored;
// Duplicates repeated an event id the viewer sent in the last day and were
// dropped.
type Receipt struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// Errors with stable codes that clients can act on.
var (
	ErrVideoNotFound   = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "video_not_found", Message: "no such video"}
	ErrNotVideoOwner   = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "not_video_owner", Message: "only the creator of this video may see its analytics"}
	ErrCommentNotFound = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "comment_not_found", Message: "no such comment"}
	ErrNotCommentOwner = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "not_comment_author", Message: "only the author of this comment or the creator of the video may delete it"}
	ErrBadCursor       = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "validation_failed", Message: "the request has invalid fields",
		Fields: []reelmart.FieldError{{Field: "cursor", Message: "is not a cursor this endpoint returned"}}}
)

// rateLimited is the answer to a viewer or client address over its event or comment rate.
func rateLimited(code, what string, retry time.Duration) *reelmart.Error {
	return &reelmart.Error{Kind: reelmart.KindRateLimited, Code: code, Message: "too many " + what + "; slow down and try again later", RetryAfter: retry}
}
