package media

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/media/transcode"
)

// Publish turns the caller's finished upload into a video and returns it at
// once. The staged file is probed first: a file that is not an acceptable
// video gives a video in status failed (with error and error_code), and
// nothing is stored. An acceptable one is stored as the source, and the
// video (processing) and its transcode job are created in one transaction.
//
// It returns a validation error naming each bad field, ErrProductsUnavailable
// when links are given but no catalog is wired, and ErrUploadNotFound,
// ErrUploadUsed or ErrUploadIncomplete for an upload that cannot be used.
func (s *Service) Publish(ctx context.Context, creatorID string, in NewVideo) (Video, error) {
	in.normalize()
	tags, err := in.validate()
	if err != nil {
		return Video{}, err
	}
	if len(in.Products) > 0 && s.products == nil {
		return Video{}, ErrProductsUnavailable
	}
	if in.Products == nil {
		in.Products = []ProductLink{}
	}
	if err := s.claimUpload(ctx, creatorID, in.UploadID); err != nil {
		return Video{}, err
	}
	// From here the upload is ours. A failure that is not the file's fault
	// gives it back so that the creator can simply try again.
	v := Video{ID: reelmart.NewID(), Caption: in.Caption, Hashtags: tags, Renditions: []Rendition{}, Products: []PinnedProduct{}}
	staged := s.stagedPath(in.UploadID)
	info, err := s.tc.Probe(ctx, staged, s.cfg.Limits)
	var reject *transcode.RejectError
	if errors.As(err, &reject) {
		v.Status, v.ErrorCode, v.Error = StatusFailed, reject.Code, reject.Message
		if err := s.insertVideo(ctx, s.db, creatorID, v); err != nil {
			s.unclaimUpload(ctx, in.UploadID)
			return Video{}, err
		}
		s.dropStaged(ctx, in.UploadID)
		return s.Video(ctx, v.ID, creatorID)
	}
	if err != nil {
		s.unclaimUpload(ctx, in.UploadID)
		return Video{}, fmt.Errorf("media: probe upload %s: %w", in.UploadID, err)
	}

	v.Status, v.DurationMS, v.Width, v.Height = StatusProcessing, info.DurationMS, info.Width, info.Height
	v.sourceKey = videoPrefix(v.ID) + "source"
	if err := s.putFile(ctx, v.sourceKey, staged, "application/octet-stream"); err != nil {
		s.unclaimUpload(ctx, in.UploadID)
		s.deleteObjects(ctx, v.ID)
		return Video{}, fmt.Errorf("media: store source of %s: %w", v.ID, err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertVideo(ctx, tx, creatorID, v); err != nil {
			return err
		}
		if len(in.Products) > 0 {
			if err := s.products.LinkProducts(ctx, tx, v.ID, creatorID, in.Products, v.DurationMS); err != nil {
				return err
			}
		}
		if _, err := s.jobs.Enqueue(ctx, tx, TranscodeKind, TranscodeArgs{VideoID: v.ID}); err != nil {
			return fmt.Errorf("media: enqueue transcode of %s: %w", v.ID, err)
		}
		return nil
	})
	if err != nil {
		s.unclaimUpload(ctx, in.UploadID)
		s.deleteObjects(ctx, v.ID)
		return Video{}, err
	}
	s.dropStaged(ctx, in.UploadID)
	return s.Video(ctx, v.ID, creatorID)
}

// dropStaged deletes a used upload's files; a failure only leaves work for Sweep.
func (s *Service) dropStaged(ctx context.Context, uploadID string) {
	if err := s.removeStaged(uploadID); err != nil {
		s.log.ErrorContext(ctx, "media: remove staged upload", "upload_id", uploadID, "err", err)
	}
}

func (s *Service) putFile(ctx context.Context, key, path, contentType string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return s.blob.Put(ctx, key, f, fi.Size(), contentType)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Service) insertVideo(ctx context.Context, q execer, creatorID string, v Video) error {
	tags, _ := json.Marshal(v.Hashtags)
	now := s.now()
	_, err := q.ExecContext(ctx, `INSERT INTO videos (id, creator_id, status, progress, error_code, error_message, caption, hashtags,
		source_key, duration_ms, width, height, created_at, updated_at)
		VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
		v.ID, creatorID, v.Status, v.ErrorCode, v.Error, v.Caption, string(tags), v.sourceKey, v.DurationMS, v.Width, v.Height, now)
	if err != nil {
		return fmt.Errorf("media: insert video: %w", err)
	}
	return nil
}

// PublishFile publishes the local file at path as creatorID's video, as
// if it had been uploaded over tus: the file is copied into the staging
// area as a finished upload (counting against the creator's quota) and
// published with in (whose UploadID is ignored), so the same probe,
// checks and transcode job follow. Demo content is published this way.
// It returns what Publish returns, ErrUploadTooLarge,
// ErrUploadQuotaExceeded, or an error reading path.
func (s *Service) PublishFile(ctx context.Context, creatorID, path string, in NewVideo) (Video, error) {
	src, err := os.Open(path)
	if err != nil {
		return Video{}, fmt.Errorf("media: publish file: %w", err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return Video{}, fmt.Errorf("media: publish file: %w", err)
	}
	id := reelmart.NewID()
	if err := s.reserveUpload(ctx, creatorID, id, fi.Size(), filepath.Base(path)); err != nil {
		return Video{}, err
	}
	release := func() {
		s.releaseUpload(ctx, id)
		s.dropStaged(ctx, id)
	}
	dst, err := os.OpenFile(s.stagedPath(id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		release()
		return Video{}, fmt.Errorf("media: publish file: %w", err)
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.markUploadFinished(ctx, id)
	}
	if err != nil {
		release()
		return Video{}, fmt.Errorf("media: publish file: %w", err)
	}
	in.UploadID = id
	v, err := s.Publish(ctx, creatorID, in)
	if err != nil {
		// Publish gave the upload back; nobody else will use it.
		if ferr := s.forgetUpload(ctx, id); ferr != nil {
			s.log.ErrorContext(ctx, "media: forget upload", "upload_id", id, "err", ferr)
		}
		s.dropStaged(ctx, id)
	}
	return v, err
}
