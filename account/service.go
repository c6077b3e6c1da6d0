package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/imaging"
)

// Config holds the account rules that an operator may tune.
type Config struct {
	SessionTTL time.Duration // how long a sign-in lasts; default 30 days

	// Login throttling: at most this many failed logins per window, counted
	// separately per client IP and per account email.
	ThrottleWindow      time.Duration // default 15 minutes
	MaxFailuresPerIP    int           // default 30
	MaxFailuresPerEmail int           // default 10

	// Hasher turns passwords into stored hashes; nil means the production argon2id settings.
	Hasher *Hasher

	// Erasers remove what other domains keep about a user when the account
	// is deleted (likes, comments, watch history, …).
	Erasers []Eraser

	// Avatars are stored in Blobs (nil: avatars cannot be set) after Images
	// has checked and cleaned them (nil: a processor of the service's own).
	Blobs  blob.Store
	Images *imaging.Processor
	// AvatarURLPrefix is put before "/users/<id>/avatars/<avatar id>/<variant>"
	// to make the URLs of avatars. Default "/api/v1", where the API serves them.
	AvatarURLPrefix string
	// AvatarSize is the side of the square copy of an avatar; default 320.
	AvatarSize int

	// Log receives failures that do not fail the request, such as an old
	// avatar file that could not be deleted.
	Log *slog.Logger
}

// Eraser removes what another domain keeps about userID inside tx. It must
// be idempotent: Delete runs every eraser in one transaction before it
// deletes the user, so a retry after a failure between the two finishes
// the job.
type Eraser func(ctx context.Context, tx *sql.Tx, userID string) error

func (c Config) withDefaults() Config {
	if c.SessionTTL <= 0 {
		c.SessionTTL = 30 * 24 * time.Hour
	}
	if c.ThrottleWindow <= 0 {
		c.ThrottleWindow = 15 * time.Minute
	}
	if c.MaxFailuresPerIP <= 0 {
		c.MaxFailuresPerIP = 30
	}
	if c.MaxFailuresPerEmail <= 0 {
		c.MaxFailuresPerEmail = 10
	}
	if c.Hasher == nil {
		c.Hasher = NewHasher(DefaultHashParams)
	}
	if c.Images == nil {
		c.Images = imaging.New(imaging.Limits{})
	}
	if c.AvatarURLPrefix == "" {
		c.AvatarURLPrefix = "/api/v1"
	}
	if c.AvatarSize <= 0 {
		c.AvatarSize = 320
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Service registers users, signs them in and out, and keeps the follow graph.
type Service struct {
	db  *db.DB
	cfg Config
	now func() time.Time
}

// NewService returns a Service on d. now is the clock (time.Now in production).
func NewService(d *db.DB, cfg Config, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: d, cfg: cfg.withDefaults(), now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

// Errors with stable codes that clients can act on.
var (
	ErrEmailTaken   = &reelmart.Error{Kind: reelmart.KindConflict, Code: "email_taken", Message: "an account with this email already exists"}
	ErrHandleTaken  = &reelmart.Error{Kind: reelmart.KindConflict, Code: "handle_taken", Message: "this handle is taken"}
	ErrBadLogin     = &reelmart.Error{Kind: reelmart.KindUnauthenticated, Code: "invalid_credentials", Message: "the email or password is wrong"}
	ErrUserNotFound = &reelmart.Error{Kind: reelmart.KindNotFound, Code: "user_not_found", Message: "no such user"}
)

// Register creates a user and signs them in. It returns a validation error
// naming each bad field, ErrEmailTaken or ErrHandleTaken for duplicates.
func (s *Service) Register(ctx context.Context, r Registration, client Client) (User, Session, error) {
	r.normalize()
	if err := r.validate(); err != nil {
		return User{}, Session{}, err
	}
	hash, err := s.cfg.Hasher.Hash(ctx, r.Password)
	if err != nil {
		return User{}, Session{}, fmt.Errorf("account: hash password: %w", err)
	}
	now := s.now()
	u := User{ID: reelmart.NewID(), Email: r.Email, Handle: r.Handle, DisplayName: r.DisplayName, CreatedAt: now}
	var sess Session
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, email_norm, handle, display_name, password_hash, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			u.ID, u.Email, normEmail(u.Email), u.Handle, u.DisplayName, hash, now)
		if cols, ok := db.UniqueViolation(err); ok {
			if strings.Contains(cols, "email") {
				return ErrEmailTaken
			}
			return ErrHandleTaken
		}
		if err != nil {
			return fmt.Errorf("account: insert user: %w", err)
		}
		sess, err = s.createSession(ctx, tx, u.ID, client)
		return err
	})
	if err != nil {
		return User{}, Session{}, err
	}
	return u, sess, nil
}

// User returns the user with id (email included), or ErrUserNotFound.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	return s.userBy(ctx, s.db, "id", id)
}

func (s *Service) userBy(ctx context.Context, q db.Querier, column, value string) (User, error) {
	u, err := s.scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns("")+` FROM users WHERE `+column+` = $1`, value))
	if errors.Is(err, db.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("account: load user by %s: %w", column, err)
	}
	return u, nil
}

// UserByHandle returns the user with handle (any case, with or without a
// leading @), email included, or ErrUserNotFound.
func (s *Service) UserByHandle(ctx context.Context, handle string) (User, error) {
	return s.userBy(ctx, s.db, "handle", strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@")))
}

// userColumns lists the columns scanUser reads, each prefixed with table
// (an alias and a dot, or "").
func userColumns(table string) string {
	return table + "id, " + table + "email, " + table + "handle, " + table + "display_name, " + table + "bio, COALESCE(" +
		table + "avatar_id, ''), " + table + "created_at"
}

type scanner interface{ Scan(dest ...any) error }

// scanUser reads the userColumns of one row, then extra columns into extra.
func (s *Service) scanUser(row scanner, extra ...any) (User, error) {
	var u User
	var avatarID string
	if err := row.Scan(append([]any{&u.ID, &u.Email, &u.Handle, &u.DisplayName, &u.Bio, &avatarID, &u.CreatedAt}, extra...)...); err != nil {
		return User{}, err
	}
	u.AvatarURL = s.AvatarURL(u.ID, avatarID)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}

// Delete removes the user and everything that hangs off the account
// (sessions, follows, and through Config.Erasers what other domains keep),
// after checking their password. It returns ErrBadLogin
// for a wrong password.
func (s *Service) Delete(ctx context.Context, userID, password string) error {
	var hash string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&hash)
	if errors.Is(err, db.ErrNoRows) {
		return ErrUserNotFound
	}
	if err != nil {
		return fmt.Errorf("account: load password hash: %w", err)
	}
	ok, err := s.cfg.Hasher.Verify(ctx, password, hash)
	if err != nil {
		return fmt.Errorf("account: verify password: %w", err)
	}
	if !ok {
		return ErrBadLogin
	}
	if err := s.erase(ctx, userID); err != nil {
		return err
	}
	var keys avatarKeys
	err = s.db.QueryRowContext(ctx, `DELETE FROM users WHERE id = $1 RETURNING COALESCE(avatar_original_key, ''), COALESCE(avatar_display_key, '')`,
		userID).Scan(&keys.original, &keys.display)
	if err != nil && !errors.Is(err, db.ErrNoRows) {
		return fmt.Errorf("account: delete user: %w", err)
	}
	s.deleteAvatarFiles(ctx, keys)
	return nil
}

// erase runs every Eraser for userID in one transaction.
func (s *Service) erase(ctx context.Context, userID string) error {
	if len(s.cfg.Erasers) == 0 {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, erase := range s.cfg.Erasers {
			if err := erase(ctx, tx, userID); err != nil {
				return fmt.Errorf("account: erase data of %s: %w", userID, err)
			}
		}
		return nil
	})
}

// Export returns everything kept about the user.
func (s *Service) Export(ctx context.Context, userID string) (Export, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return Export{}, err
	}
	ex := Export{User: u}
	if ex.Following, err = s.listUsers(ctx, `SELECT `+userColumns("u.")+` FROM follows f
		JOIN users u ON u.id = f.followee_id WHERE f.follower_id = $1 ORDER BY f.created_at`, userID); err != nil {
		return Export{}, err
	}
	if ex.Followers, err = s.listUsers(ctx, `SELECT `+userColumns("u.")+` FROM follows f
		JOIN users u ON u.id = f.follower_id WHERE f.followee_id = $1 ORDER BY f.created_at`, userID); err != nil {
		return Export{}, err
	}
	if ex.Sessions, err = s.sessions(ctx, userID); err != nil {
		return Export{}, err
	}
	if ex.Blocks, err = s.Blocked(ctx, userID); err != nil {
		return Export{}, err
	}
	return ex, nil
}

func (s *Service) listUsers(ctx context.Context, query string, args ...any) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("account: list users: %w", err)
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("account: scan user: %w", err)
		}
		users = append(users, u.Public())
	}
	return users, rows.Err()
}

func normEmail(email string) string { return strings.ToLower(email) }
