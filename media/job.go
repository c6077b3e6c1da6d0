package media

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/jobs"
)

// progressEvery is the least time between two progress writes of one video.
const progressEvery = time.Second

// TranscodeJob is the handler of TranscodeKind jobs: it transcodes the
// stored source of a processing video into HLS and a poster under the
// video's prefix and marks it ready. A file the transcoder rejects fails the
// video with the reject code, removes its objects and returns a
// jobs.Permanent error. Other errors are returned to be retried; on the last
// attempt the video fails with "transcode_failed" and its objects are
// removed. A video deleted meanwhile is cleaned up and the job ends quietly.
func (s *Service) TranscodeJob(ctx context.Context, job jobs.Job) error {
	var args TranscodeArgs
	if err := json.Unmarshal(job.Args, &args); err != nil || args.VideoID == "" {
		return jobs.Permanent(fmt.Errorf("media: transcode job %d: bad args %s", job.ID, job.Args))
	}
	id := args.VideoID
	var status, sourceKey string
	err := s.db.QueryRowContext(ctx, `SELECT status, source_key FROM videos WHERE id = $1`, id).Scan(&status, &sourceKey)
	if errors.Is(err, db.ErrNoRows) {
		s.deleteObjects(ctx, id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("media: transcode %s: load video: %w", id, err)
	}
	if status != StatusProcessing {
		return nil // done by an earlier attempt whose completion was lost
	}

	err = s.transcode(ctx, id, sourceKey)
	var reject *transcode.RejectError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &reject):
		s.fail(ctx, id, reject.Code, reject.Message)
		return jobs.Permanent(err)
	case job.Attempt >= job.MaxAttempts && job.MaxAttempts > 0:
		s.fail(ctx, id, "transcode_failed", "the video could not be processed; please try uploading it again")
		return err
	default:
		return err
	}
}

func (s *Service) transcode(ctx context.Context, id, sourceKey string) error {
	tmp, err := os.MkdirTemp("", "reelmart-transcode-")
	if err != nil {
		return fmt.Errorf("media: transcode %s: temp dir: %w", id, err)
	}
	defer os.RemoveAll(tmp)
	input := filepath.Join(tmp, "source")
	if err := s.download(ctx, sourceKey, input); err != nil {
		return fmt.Errorf("media: transcode %s: download source: %w", id, err)
	}
	outDir := filepath.Join(tmp, "out")
	if err := os.Mkdir(outDir, 0o750); err != nil {
		return fmt.Errorf("media: transcode %s: %w", id, err)
	}
	req := transcode.Request{Input: input, OutDir: outDir, Rungs: s.cfg.Rungs, SegmentSeconds: s.cfg.SegmentSeconds, Limits: s.cfg.Limits}
	res, err := s.tc.Transcode(ctx, req, s.progressWriter(ctx, id))
	if err != nil {
		return err
	}

	prefix := videoPrefix(id)
	hlsKey, posterKey := prefix+"hls/"+res.Master, prefix+"poster.jpg"
	if err := s.putFile(ctx, posterKey, filepath.Join(outDir, res.Poster), "image/jpeg"); err != nil {
		return fmt.Errorf("media: transcode %s: store poster: %w", id, err)
	}
	for _, f := range res.Files {
		if f == res.Poster {
			continue
		}
		if err := s.putFile(ctx, prefix+"hls/"+f, filepath.Join(outDir, filepath.FromSlash(f)), contentType(f)); err != nil {
			return fmt.Errorf("media: transcode %s: store %s: %w", id, f, err)
		}
	}
	renditions := make([]Rendition, 0, len(res.Renditions))
	for _, r := range res.Renditions {
		renditions = append(renditions, Rendition{Name: r.Name, Width: r.Width, Height: r.Height, Bandwidth: r.Bandwidth, Codecs: r.Codecs})
	}
	raw, _ := json.Marshal(renditions)
	marked := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		out, err := tx.ExecContext(ctx, `UPDATE videos SET status = 'ready', progress = 1, duration_ms = $1, width = $2, height = $3,
			renditions = $4, hls_key = $5, poster_key = $6, updated_at = $7 WHERE id = $8 AND status = 'processing'`,
			res.Info.DurationMS, res.Info.Width, res.Info.Height, string(raw), hlsKey, posterKey, s.now(), id)
		if err != nil {
			return fmt.Errorf("media: transcode %s: mark ready: %w", id, err)
		}
		if n, _ := out.RowsAffected(); n == 0 {
			return nil
		}
		marked = true
		return s.reindex(ctx, tx, id) // ready: into the feed
	})
	if err != nil {
		return err
	}
	if !marked { // deleted while we worked
		s.deleteObjects(ctx, id)
	}
	return nil
}

// fail marks a processing video failed and removes every object under it.
func (s *Service) fail(ctx context.Context, id, code, msg string) {
	ctx = context.WithoutCancel(ctx)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		out, err := tx.ExecContext(ctx, `UPDATE videos SET status = 'failed', error_code = $1, error_message = $2, updated_at = $3
			WHERE id = $4 AND status = 'processing'`, code, msg, s.now(), id)
		if err != nil {
			return err
		}
		if n, _ := out.RowsAffected(); n == 0 {
			return nil
		}
		return s.reindex(ctx, tx, id) // a failed video is never in the feed
	})
	if err != nil {
		s.log.ErrorContext(ctx, "media: mark video failed", "video_id", id, "err", err)
	}
	s.deleteObjects(ctx, id)
}

func (s *Service) download(ctx context.Context, key, dst string) error {
	rc, _, err := s.blob.Get(ctx, key, blob.Whole)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// progressWriter returns the progress callback of one transcode: it stores
// at most one value per progressEvery, and never a smaller one than stored.
func (s *Service) progressWriter(ctx context.Context, id string) func(float64) {
	var mu sync.Mutex
	var last time.Time
	var best float64
	return func(p float64) {
		mu.Lock()
		defer mu.Unlock()
		p = min(max(p, 0), 0.99) // 1 is written with ready
		if p <= best || time.Since(last) < progressEvery {
			return
		}
		best, last = p, time.Now()
		if _, err := s.db.ExecContext(ctx, `UPDATE videos SET progress = $1, updated_at = $2
			WHERE id = $3 AND status = 'processing' AND progress < $1`, p, s.now(), id); err != nil {
			s.log.WarnContext(ctx, "media: store progress", "video_id", id, "err", err)
		}
	}
}

// contentType names the media type of an HLS output file by its extension.
func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".m3u8":
		return "application/vnd.apple.mpegurl"
	case ".m4s":
		return "video/iso.segment"
	case ".mp4":
		return "video/mp4"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".aac":
		return "audio/aac"
	default:
		return "application/octet-stream"
	}
}
