package media

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/db"
)

// ErrUploadTooLarge returns the 413 for an upload over limit bytes.
func ErrUploadTooLarge(limit int64) *reelmart.Error {
	return reelmart.Errorf(reelmart.KindTooLarge, "upload_too_large", "an upload may be at most %d bytes", limit)
}

// ErrUploadQuotaExceeded returns the 413 for a user whose pending uploads would pass quota bytes.
func ErrUploadQuotaExceeded(quota, used int64) *reelmart.Error {
	return reelmart.Errorf(reelmart.KindTooLarge, "upload_quota_exceeded",
		"your unfinished and unused uploads may total at most %d bytes; %d are in use: finish, publish or delete some first", quota, used)
}

// reserveUpload records a new upload of size bytes for userID under id,
// after checking the size limit and the user's quota. The user row is
// touched first so that PostgreSQL serialises one user's reservations (a
// plain SUM under READ COMMITTED would let two concurrent ones both pass);
// SQLite serialises every writer at BEGIN anyway.
func (s *Service) reserveUpload(ctx context.Context, userID, id string, size int64, filename string) error {
	if size > s.cfg.MaxUploadBytes {
		return ErrUploadTooLarge(s.cfg.MaxUploadBytes)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at WHERE id = $1`, userID)
		if err != nil {
			return fmt.Errorf("media: lock user for quota: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return reelmart.Errorf(reelmart.KindUnauthenticated, "invalid_token", "the signed-in user no longer exists")
		}
		var used int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM uploads WHERE user_id = $1 AND consumed_at IS NULL`, userID).Scan(&used); err != nil {
			return fmt.Errorf("media: sum pending uploads: %w", err)
		}
		if used+size > s.cfg.UploadQuotaBytes {
			return ErrUploadQuotaExceeded(s.cfg.UploadQuotaBytes, used)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO uploads (id, user_id, size, filename, created_at) VALUES ($1, $2, $3, $4, $5)`,
			id, userID, size, filename, s.now()); err != nil {
			return fmt.Errorf("media: insert upload: %w", err)
		}
		return nil
	})
}

// releaseUpload forgets a reservation whose creation failed after it was made.
func (s *Service) releaseUpload(ctx context.Context, id string) {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM uploads WHERE id = $1 AND finished_at IS NULL`, id); err != nil {
		s.log.ErrorContext(ctx, "media: release upload reservation", "upload_id", id, "err", err)
	}
}

// checkUploadOwner returns ErrUploadNotFound unless userID owns the upload id
// and no video has used it yet: other users must not learn that it exists.
func (s *Service) checkUploadOwner(ctx context.Context, userID, id string) error {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM uploads WHERE id = $1 AND user_id = $2 AND consumed_at IS NULL`, id, userID).Scan(&n)
	if err != nil {
		return fmt.Errorf("media: check upload owner: %w", err)
	}
	if n == 0 {
		return ErrUploadNotFound
	}
	return nil
}

func (s *Service) markUploadFinished(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE uploads SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL`, s.now(), id); err != nil {
		return fmt.Errorf("media: mark upload %s finished: %w", id, err)
	}
	return nil
}

func (s *Service) forgetUpload(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM uploads WHERE id = $1`, id); err != nil {
		return fmt.Errorf("media: delete upload %s: %w", id, err)
	}
	return nil
}

// claimUpload marks the finished upload id of userID as used by a video, so
// that no second video (and no tus request) can take it. It returns
// ErrUploadNotFound, ErrUploadUsed or ErrUploadIncomplete when it cannot.
func (s *Service) claimUpload(ctx context.Context, userID, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE uploads SET consumed_at = $1
		WHERE id = $2 AND user_id = $3 AND finished_at IS NOT NULL AND consumed_at IS NULL`, s.now(), id, userID)
	if err != nil {
		return fmt.Errorf("media: claim upload: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var finished, consumed sql.NullTime
	err = s.db.QueryRowContext(ctx, `SELECT finished_at, consumed_at FROM uploads WHERE id = $1 AND user_id = $2`, id, userID).Scan(&finished, &consumed)
	switch {
	case errors.Is(err, db.ErrNoRows):
		return ErrUploadNotFound
	case err != nil:
		return fmt.Errorf("media: load upload: %w", err)
	case consumed.Valid:
		return ErrUploadUsed
	default:
		return ErrUploadIncomplete
	}
}

// unclaimUpload gives the upload back after a failure that was not the
// file's fault, so the creator can try POST /videos again.
func (s *Service) unclaimUpload(ctx context.Context, id string) {
	if _, err := s.db.ExecContext(context.WithoutCancel(ctx), `UPDATE uploads SET consumed_at = NULL WHERE id = $1`, id); err != nil {
		s.log.ErrorContext(ctx, "media: unclaim upload", "upload_id", id, "err", err)
	}
}

// stagedPath is where tusd's filestore keeps the bytes of upload id.
func (s *Service) stagedPath(id string) string { return filepath.Join(s.cfg.StagingDir, id) }

// removeStaged deletes the bytes and tusd's .info file of upload id.
func (s *Service) removeStaged(id string) error {
	var errs []error
	for _, p := range []string{s.stagedPath(id), s.stagedPath(id) + ".info"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Sweep removes abandoned uploads: those created more than AbandonAfter ago
// that never finished or finished but were never published, with their
// staged files; rows of uploads used long ago; and staged files that have no
// row at all (their user was deleted, or the process died mid-create). It
// returns how many uploads it removed.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	cutoff := s.now().Add(-s.cfg.AbandonAfter)
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM uploads WHERE consumed_at IS NULL AND created_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("media: sweep: list abandoned uploads: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("media: sweep: scan: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("media: sweep: %w", err)
	}
	var removed int64
	for _, id := range ids {
		if err := s.removeStaged(id); err != nil {
			return removed, fmt.Errorf("media: sweep: remove staged %s: %w", id, err)
		}
		res, err := s.db.ExecContext(ctx, `DELETE FROM uploads WHERE id = $1 AND consumed_at IS NULL`, id)
		if err != nil {
			return removed, fmt.Errorf("media: sweep: delete upload %s: %w", id, err)
		}
		n, _ := res.RowsAffected()
		removed += n
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM uploads WHERE consumed_at IS NOT NULL AND consumed_at < $1`, cutoff); err != nil {
		return removed, fmt.Errorf("media: sweep: delete used uploads: %w", err)
	}
	n, err := s.sweepOrphanFiles(ctx, cutoff)
	return removed + n, err
}

// sweepOrphanFiles removes staged files older than cutoff whose upload has no row.
func (s *Service) sweepOrphanFiles(ctx context.Context, cutoff time.Time) (int64, error) {
	entries, err := os.ReadDir(s.cfg.StagingDir)
	if err != nil {
		return 0, fmt.Errorf("media: sweep: read staging directory: %w", err)
	}
	var removed int64
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".info")
		if !ok || e.IsDir() {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.ModTime().After(cutoff) {
			continue
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM uploads WHERE id = $1`, id).Scan(&n); err != nil {
			return removed, fmt.Errorf("media: sweep: look up upload %s: %w", id, err)
		}
		if n == 0 {
			if err := s.removeStaged(id); err != nil {
				return removed, fmt.Errorf("media: sweep: remove orphan %s: %w", id, err)
			}
			removed++
		}
	}
	return removed, nil
}
