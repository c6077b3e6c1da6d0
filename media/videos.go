package media

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/reelmart/reelmart/internal/keyset"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
)

// Listing page sizes.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

const videoColumns = `v.id, v.status, v.progress, v.error_code, v.error_message, v.caption, v.hashtags, v.source_key,
	v.duration_ms, v.width, v.height, v.renditions, v.hls_key, v.poster_key, v.created_at, u.id, u.handle, u.display_name,
	COALESCE(u.avatar_id, '')`

// The creator's public face comes from account's users table by a join: a
// listing would otherwise need one call per video.
const videoFrom = ` FROM videos v JOIN users u ON u.id = v.creator_id`

type scanner interface{ Scan(dest ...any) error }

func (s *Service) scanVideo(row scanner) (Video, error) {
	var v Video
	var tags, renditions, avatarID string
	err := row.Scan(&v.ID, &v.Status, &v.Progress, &v.ErrorCode, &v.Error, &v.Caption, &tags, &v.sourceKey,
		&v.DurationMS, &v.Width, &v.Height, &renditions, &v.hlsKey, &v.posterKey, &v.CreatedAt,
		&v.Creator.ID, &v.Creator.Handle, &v.Creator.DisplayName, &avatarID)
	if err != nil {
		return Video{}, err
	}
	if s.avatarURL != nil {
		v.Creator.AvatarURL = s.avatarURL(v.Creator.ID, avatarID)
	}
	v.CreatedAt = v.CreatedAt.UTC()
	v.Hashtags, v.Renditions, v.Products = []string{}, []Rendition{}, []PinnedProduct{}
	if err := json.Unmarshal([]byte(tags), &v.Hashtags); err != nil {
		return Video{}, fmt.Errorf("media: video %s hashtags: %w", v.ID, err)
	}
	if err := json.Unmarshal([]byte(renditions), &v.Renditions); err != nil {
		return Video{}, fmt.Errorf("media: video %s renditions: %w", v.ID, err)
	}
	if v.Status == StatusReady {
		base := s.cfg.PublicURL + "/api/v1/videos/" + v.ID
		v.HLSURL = base + "/hls/" + strings.TrimPrefix(v.hlsKey, videoPrefix(v.ID)+"hls/")
		v.PosterURL = base + "/poster.jpg"
	}
	if v.Status != StatusFailed {
		v.Error, v.ErrorCode = "", ""
	}
	return v, nil
}

// Video returns the video with id as viewerID ("" for anonymous) may see
// it. A video that is not ready is visible to its creator only: anyone else
// gets ErrVideoNotFound, as for a missing one.
func (s *Service) Video(ctx context.Context, id, viewerID string) (Video, error) {
	v, err := s.scanVideo(s.db.QueryRowContext(ctx, `SELECT `+videoColumns+videoFrom+` WHERE v.id = $1`, id))
	if errors.Is(err, db.ErrNoRows) {
		return Video{}, ErrVideoNotFound
	}
	if err != nil {
		return Video{}, fmt.Errorf("media: load video %s: %w", id, err)
	}
	if v.Status != StatusReady && v.Creator.ID != viewerID {
		return Video{}, ErrVideoNotFound
	}
	vs := []Video{v}
	if err := s.addProducts(ctx, vs); err != nil {
		return Video{}, err
	}
	return vs[0], nil
}

// addProducts fills in the pinned products of videos with one call to the
// catalog for the whole list.
func (s *Service) addProducts(ctx context.Context, videos []Video) error {
	if s.products == nil || len(videos) == 0 {
		return nil
	}
	ids := make([]string, len(videos))
	for i, v := range videos {
		ids[i] = v.ID
	}
	pins, err := s.products.LinkedProducts(ctx, ids)
	if err != nil {
		return fmt.Errorf("media: products of videos: %w", err)
	}
	for i := range videos {
		if p := pins[videos[i].ID]; len(p) > 0 {
			videos[i].Products = p
		}
	}
	return nil
}

// UserVideos lists creatorID's videos newest first, as viewerID sees them:
// ready ones only, or every status for the creator. cursor is "" or a
// NextCursor from the previous page; limit is clamped to 1..MaxPageSize
// (DefaultPageSize when 0). It returns ErrBadCursor for a cursor it did not make.
func (s *Service) UserVideos(ctx context.Context, creatorID, viewerID, cursor string, limit int) (Page, error) {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	q := `SELECT ` + videoColumns + videoFrom + ` WHERE v.creator_id = $1`
	args := []any{creatorID}
	if creatorID != viewerID {
		q += ` AND v.status = 'ready'`
	}
	if cursor != "" {
		at, id, err := decodeCursor(cursor)
		if err != nil {
			return Page{}, ErrBadCursor
		}
		q += ` AND (v.created_at < $2 OR (v.created_at = $2 AND v.id < $3))`
		args = append(args, at, id)
	}
	q += fmt.Sprintf(` ORDER BY v.created_at DESC, v.id DESC LIMIT %d`, limit+1)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("media: list videos: %w", err)
	}
	defer rows.Close()
	page := Page{Items: []Video{}}
	for rows.Next() {
		v, err := s.scanVideo(rows)
		if err != nil {
			return Page{}, fmt.Errorf("media: scan video: %w", err)
		}
		page.Items = append(page.Items, v)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("media: list videos: %w", err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	if err := s.addProducts(ctx, page.Items); err != nil {
		return Page{}, err
	}
	return page, nil
}

func encodeCursor(at time.Time, id string) string { return keyset.Encode(at, id) }

func decodeCursor(c string) (time.Time, string, error) { return keyset.Decode(c) }

// Delete removes the video with id and every object stored under it. Only
// its creator may: others get ErrNotVideoOwner, or ErrVideoNotFound if they
// could not see it anyway.
func (s *Service) Delete(ctx context.Context, id, userID string) error {
	var creator, status string
	err := s.db.QueryRowContext(ctx, `SELECT creator_id, status FROM videos WHERE id = $1`, id).Scan(&creator, &status)
	if errors.Is(err, db.ErrNoRows) {
		return ErrVideoNotFound
	}
	if err != nil {
		return fmt.Errorf("media: load video %s: %w", id, err)
	}
	if creator != userID {
		if status != StatusReady {
			return ErrVideoNotFound
		}
		return ErrNotVideoOwner
	}
	// The row goes first: a transcode still running sees it gone and cleans
	// up what it wrote after this.
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The feed's job runs after the commit, finds the row gone and
		// leaves a tombstone in the index.
		if err := s.reindex(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM videos WHERE id = $1`, id); err != nil {
			return fmt.Errorf("media: delete video %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.removeObjects(ctx, id); err != nil {
		return fmt.Errorf("media: delete objects of %s: %w", id, err)
	}
	return nil
}

// removeObjects deletes every object under videos/<id>/.
func (s *Service) removeObjects(ctx context.Context, id string) error {
	var keys []string
	for info, err := range s.blob.List(ctx, videoPrefix(id)) {
		if err != nil {
			return err
		}
		keys = append(keys, info.Key)
	}
	var errs []error
	for _, k := range keys {
		if err := s.blob.Delete(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteObjects is removeObjects on a cleanup path, where a failure is logged, not returned.
func (s *Service) deleteObjects(ctx context.Context, id string) {
	if err := s.removeObjects(context.WithoutCancel(ctx), id); err != nil {
		s.log.ErrorContext(ctx, "media: remove objects", "video_id", id, "err", err)
	}
}

// ObjectKey returns the blob key of a ready video's poster (rel "poster.jpg")
// or of a file of its HLS ladder (rel "hls/…"), for serving. It returns
// ErrVideoNotFound when the video is missing or not ready, and when rel
// names nothing the video has.
func (s *Service) ObjectKey(ctx context.Context, id, rel string) (string, error) {
	var status, posterKey string
	err := s.db.QueryRowContext(ctx, `SELECT status, poster_key FROM videos WHERE id = $1`, id).Scan(&status, &posterKey)
	if errors.Is(err, db.ErrNoRows) || (err == nil && status != StatusReady) {
		return "", ErrVideoNotFound
	}
	if err != nil {
		return "", fmt.Errorf("media: load video %s: %w", id, err)
	}
	if rel == "poster.jpg" {
		return posterKey, nil
	}
	key := videoPrefix(id) + rel
	if !strings.HasPrefix(rel, "hls/") || blob.ValidateKey(key) != nil {
		return "", ErrVideoNotFound
	}
	return key, nil
}
