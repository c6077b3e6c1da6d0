package account

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
)

// Variants of a stored avatar.
const (
	AvatarOriginal = "original" // the file as uploaded, without metadata, upright
	AvatarDisplay  = "display"  // the centre square, Config.AvatarSize a side
)

// Avatar errors.
var (
	ErrAvatarNotFound     = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "avatar_not_found", Message: "no such avatar"}
	ErrAvatarsUnavailable = &reelmart.Error{Kind: reelmart.KindUnavailable, Code: "avatars_unavailable", Message: "avatars cannot be stored on this server"}
)

// avatarKeys are the blob keys of one avatar's files.
type avatarKeys struct{ original, display string }

func avatarKey(userID, avatarID, name string) string {
	return "avatars/" + userID + "/" + avatarID + "/" + name
}

// AvatarURL returns the URL of the avatar avatarID of the user, or nil when
// avatarID is empty (no avatar). Other parts that show users (a video's
// creator, a chat peer) read users.avatar_id in their own queries and call
// this to build the same URL.
func (s *Service) AvatarURL(userID, avatarID string) *string {
	if avatarID == "" {
		return nil
	}
	u := s.cfg.AvatarURLPrefix + "/users/" + userID + "/avatars/" + avatarID + "/" + AvatarDisplay
	return &u
}

// MaxAvatarBytes is the largest file SetAvatar accepts, so the HTTP layer
// can size its body limit.
func (s *Service) MaxAvatarBytes() int64 { return s.cfg.Images.MaxBytes() }

// SetAvatar makes the image read from r the user's avatar and returns the
// user (email included). The file must decode as JPEG, PNG or WebP; its
// original (without metadata, upright) and a square copy of its centre are
// stored, as product images are (platform/imaging). The previous avatar's
// files are deleted. It returns ErrAvatarsUnavailable without a blob store,
// imaging's ErrInvalid, ErrTooLarge or ErrTooManyPixels for a bad file, or
// ErrUserNotFound.
func (s *Service) SetAvatar(ctx context.Context, userID string, r io.Reader) (User, error) {
	if s.cfg.Blobs == nil {
		return User{}, ErrAvatarsUnavailable
	}
	up, err := s.cfg.Images.Decode(ctx, r)
	if err != nil {
		return User{}, err
	}
	orig := up.Original()
	square, err := up.Square(s.cfg.AvatarSize)
	if err != nil {
		return User{}, err
	}
	id := reelmart.NewID()
	keys := avatarKeys{original: avatarKey(userID, id, "original."+orig.Ext), display: avatarKey(userID, id, "display."+square.Ext)}
	if err := s.cfg.Blobs.Put(ctx, keys.original, bytes.NewReader(orig.Data), int64(len(orig.Data)), orig.ContentType); err != nil {
		return User{}, fmt.Errorf("account: store avatar: %w", err)
	}
	if err := s.cfg.Blobs.Put(ctx, keys.display, bytes.NewReader(square.Data), int64(len(square.Data)), square.ContentType); err != nil {
		s.deleteAvatarFiles(ctx, avatarKeys{original: keys.original})
		return User{}, fmt.Errorf("account: store avatar: %w", err)
	}
	u, old, err := s.replaceAvatar(ctx, userID, id, keys)
	if err != nil {
		s.deleteAvatarFiles(ctx, keys)
		return User{}, err
	}
	s.deleteAvatarFiles(ctx, old)
	return u, nil
}

// RemoveAvatar removes the user's avatar, if any, and returns the user
// (email included), or ErrUserNotFound.
func (s *Service) RemoveAvatar(ctx context.Context, userID string) (User, error) {
	u, old, err := s.replaceAvatar(ctx, userID, "", avatarKeys{})
	if err != nil {
		return User{}, err
	}
	s.deleteAvatarFiles(ctx, old)
	return u, nil
}

// replaceAvatar points the user's row at the avatar id (files keys; "" for
// none) and returns the user and the keys of the avatar it replaced. The
// row is locked first, so of two concurrent uploads each deletes exactly
// the files the other replaced.
func (s *Service) replaceAvatar(ctx context.Context, userID, id string, keys avatarKeys) (User, avatarKeys, error) {
	var u User
	var old avatarKeys
	nullable := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE users SET updated_at = $1 WHERE id = $2
			RETURNING COALESCE(avatar_original_key, ''), COALESCE(avatar_display_key, '')`, s.now(), userID).Scan(&old.original, &old.display)
		if errors.Is(err, db.ErrNoRows) {
			return ErrUserNotFound
		}
		if err != nil {
			return fmt.Errorf("account: lock user for avatar: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET avatar_id = $1, avatar_original_key = $2, avatar_display_key = $3 WHERE id = $4`,
			nullable(id), nullable(keys.original), nullable(keys.display), userID); err != nil {
			return fmt.Errorf("account: set avatar: %w", err)
		}
		u, err = s.userBy(ctx, tx, "id", userID)
		return err
	})
	return u, old, err
}

// AvatarBlob returns the store and key of a variant of the user's current
// avatar avatarID, so the HTTP layer can stream it. Avatars are public, as
// product images are. It returns ErrAvatarNotFound for an unknown or
// replaced avatar or an unknown variant.
func (s *Service) AvatarBlob(ctx context.Context, userID, avatarID, variant string) (blob.Store, string, error) {
	column := ""
	switch variant {
	case AvatarOriginal:
		column = "avatar_original_key"
	case AvatarDisplay:
		column = "avatar_display_key"
	default:
		return nil, "", ErrAvatarNotFound
	}
	if s.cfg.Blobs == nil {
		return nil, "", ErrAvatarNotFound
	}
	var key string
	err := s.db.QueryRowContext(ctx, `SELECT `+column+` FROM users WHERE id = $1 AND avatar_id = $2`, userID, avatarID).Scan(&key)
	if errors.Is(err, db.ErrNoRows) {
		return nil, "", ErrAvatarNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("account: load avatar: %w", err)
	}
	return s.cfg.Blobs, key, nil
}

// deleteAvatarFiles removes files no row points at any more, logging
// failures: an orphaned file wastes space but breaks nothing.
func (s *Service) deleteAvatarFiles(ctx context.Context, keys avatarKeys) {
	if s.cfg.Blobs == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, k := range []string{keys.original, keys.display} {
		if k == "" {
			continue
		}
		if err := s.cfg.Blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			s.cfg.Log.ErrorContext(ctx, "account: delete avatar file", "key", k, "err", err)
		}
	}
}
