// Package media owns videos from upload to playback: the tus upload staging
// area with its per-user quota, publishing a finished upload as a video
// (probe first, reject early), the transcode job that turns the stored
// source into an HLS ladder in the blob store, and reading, listing and
// deleting videos.
//
// FFmpeg never runs in this package: it reaches it through Transcoder, which
// media/transcode.Sandbox satisfies by running a child process.
package media

import (
	"context"
	"database/sql"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/media/transcode"
)

// Video states.
const (
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusFailed     = "failed"
)

// TranscodeKind is the job kind the transcode handler must be registered
// under (jobs.Kind{Name: media.TranscodeKind, Handler: svc.TranscodeJob}).
const TranscodeKind = "media.transcode"

// Video is a published video as a client sees it. HLSURL and PosterURL are
// set only when it is ready; Error and ErrorCode only when it failed.
type Video struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Progress   float64         `json:"progress"`
	Error      string          `json:"error,omitempty"`
	ErrorCode  string          `json:"error_code,omitempty"`
	Caption    string          `json:"caption"`
	Hashtags   []string        `json:"hashtags"`
	DurationMS int64           `json:"duration_ms,omitempty"`
	Width      int             `json:"width,omitempty"`
	Height     int             `json:"height,omitempty"`
	Renditions []Rendition     `json:"renditions"`
	HLSURL     string          `json:"hls_url,omitempty"`
	PosterURL  string          `json:"poster_url,omitempty"`
	Products   []PinnedProduct `json:"products"`
	Creator    Creator         `json:"creator"`
	CreatedAt  time.Time       `json:"created_at"`

	sourceKey string
	hlsKey    string
	posterKey string
}

// Rendition is one rung of a ready video's HLS ladder.
type Rendition struct {
	Name      string `json:"name"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
	Bandwidth int    `json:"bandwidth"`
	Codecs    string `json:"codecs"`
}

// Creator is the public face of the user who published a video. AvatarURL
// is nil for a creator without an avatar.
type Creator struct {
	ID          string  `json:"id"`
	Handle      string  `json:"handle"`
	DisplayName string  `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
}

// ProductLink asks for a product to be pinned to a video, optionally to the
// span from StartMS to EndMS (milliseconds). Both zero (or left out) pins
// the product to the whole video.
type ProductLink struct {
	ProductID string `json:"product_id"`
	StartMS   int64  `json:"start_ms"`
	EndMS     int64  `json:"end_ms"`
}

// HasSpan reports whether l names a span rather than the whole video.
func (l ProductLink) HasSpan() bool { return l.StartMS != 0 || l.EndMS != 0 }

// PinnedProduct is a product pinned to a video as viewers see it: enough to
// draw the product card over the video. ImageURL is the product's first
// image (nil without one), Price its lowest SKU price, StockAvailable the
// sum over its SKUs of stock minus live reservations. StartMS and EndMS are
// nil for a pin to the whole video.
type PinnedProduct struct {
	ProductID      string  `json:"product_id"`
	Title          string  `json:"title"`
	ImageURL       *string `json:"image_url"`
	Price          Money   `json:"price"`
	StockAvailable int     `json:"stock_available"`
	StartMS        *int64  `json:"start_ms"`
	EndMS          *int64  `json:"end_ms"`
}

// Money is an amount in the minor unit of Currency, as the catalog prices
// things ({"amount_minor": 1999, "currency": "USD"}).
type Money struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
}

// Page is one page of a listing; NextCursor is empty on the last page.
type Page struct {
	Items      []Video
	NextCursor string
}

// NewVideo is the input of Publish (POST /videos).
type NewVideo struct {
	UploadID string        `json:"upload_id"`
	Caption  string        `json:"caption"`
	Hashtags []string      `json:"hashtags"`
	Products []ProductLink `json:"products"`
}

// Transcoder probes and transcodes media files, out of process.
// transcode.Sandbox satisfies it.
type Transcoder interface {
	Probe(ctx context.Context, path string, lim transcode.Limits) (transcode.Info, error)
	Transcode(ctx context.Context, req transcode.Request, progress func(float64)) (transcode.Result, error)
}

// Enqueuer adds a job inside a transaction; *jobs.Queue satisfies it.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *sql.Tx, kind string, args any) (int64, error)
}

// ProductLinker stores and shows a video's product links (pins); the catalog
// domain provides it.
//
// LinkProducts replaces the links of videoID inside tx. It returns a
// *reelmart.Error naming the field for a link it refuses (unknown or
// inactive product, duplicate, span past durationMS).
//
// LinkedProducts returns the products pinned to each of videoIDs that
// viewers may see, in the creator's order, in a fixed number of queries
// however many videos are asked for. Videos without any are left out of
// the map.
type ProductLinker interface {
	LinkProducts(ctx context.Context, tx *sql.Tx, videoID, creatorID string, links []ProductLink, durationMS int64) error
	LinkedProducts(ctx context.Context, videoIDs []string) (map[string][]PinnedProduct, error)
}

// TranscodeArgs are the arguments of a TranscodeKind job.
type TranscodeArgs struct {
	VideoID string `json:"video_id"`
}

// Errors with stable codes that clients can act on.
var (
	ErrUploadNotFound      = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "upload_not_found", Message: "no such upload"}
	ErrUploadUsed          = &reelmart.Error{Kind: reelmart.KindConflict, Code: "upload_already_used", Message: "this upload has already been turned into a video"}
	ErrUploadIncomplete    = &reelmart.Error{Kind: reelmart.KindConflict, Code: "upload_incomplete", Message: "this upload has not received all its bytes yet"}
	ErrVideoNotFound       = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "video_not_found", Message: "no such video"}
	ErrNotVideoOwner       = &reelmart.Error{Kind: reelmart.KindForbidden, Code: "not_video_owner", Message: "only the creator of this video may change it"}
	ErrProductsUnavailable = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "products_unavailable", Message: "product links are not available on this server yet",
		Fields: []reelmart.FieldError{{Field: "products", Message: "cannot be linked yet"}}}
	ErrBadCursor = &reelmart.Error{Kind: reelmart.KindInvalid, Code: "validation_failed", Message: "the request has invalid fields",
		Fields: []reelmart.FieldError{{Field: "cursor", Message: "is not a cursor this endpoint returned"}}}
)
