package account

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
)

// MaxBio is the longest bio, in runes: two or three lines under a name.
const MaxBio = 300

// UpdateProfile changes the set fields of the user's profile and returns the
// user (email included). A display name is trimmed and follows the rules of
// registration; a bio is trimmed, may be empty and may hold line breaks but
// no other control characters. It returns a validation error naming each
// bad field, or ErrUserNotFound.
func (s *Service) UpdateProfile(ctx context.Context, userID string, patch ProfilePatch) (User, error) {
	var errs []reelmart.FieldError
	if patch.DisplayName != nil {
		name := strings.TrimSpace(*patch.DisplayName)
		patch.DisplayName = &name
		if msg := checkDisplayName(name); msg != "" {
			errs = append(errs, reelmart.FieldError{Field: "display_name", Message: msg})
		}
	}
	if patch.Bio != nil {
		bio := strings.TrimSpace(strings.ReplaceAll(*patch.Bio, "\r\n", "\n"))
		patch.Bio = &bio
		if msg := checkBio(bio); msg != "" {
			errs = append(errs, reelmart.FieldError{Field: "bio", Message: msg})
		}
	}
	if err := reelmart.Invalid(errs); err != nil {
		return User{}, err
	}
	var u User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// COALESCE keeps a column whose field was left out (NULL).
		res, err := tx.ExecContext(ctx, `UPDATE users SET display_name = COALESCE($1, display_name), bio = COALESCE($2, bio), updated_at = $3
			WHERE id = $4`, patch.DisplayName, patch.Bio, s.now(), userID)
		if err != nil {
			return fmt.Errorf("account: update profile: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrUserNotFound
		}
		u, err = s.userBy(ctx, tx, "id", userID)
		return err
	})
	return u, err
}

func checkBio(bio string) string {
	if !utf8.ValidString(bio) {
		return "must be valid UTF-8 text"
	}
	if utf8.RuneCountInString(bio) > MaxBio {
		return fmt.Sprintf("must be at most %d characters", MaxBio)
	}
	for _, c := range bio {
		if unicode.IsControl(c) && c != '\n' {
			return "may not contain control characters other than line breaks"
		}
	}
	return ""
}
