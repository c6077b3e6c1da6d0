package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/reelmart/reelmart/account"
)

// people makes sure every demo account exists with its bio and avatar.
// An account a person has since changed keeps their changes: only what is
// missing is filled in.
func (s *Seeder) people(ctx context.Context) error {
	for _, c := range append(append([]creator{}, creators...), shopper) {
		u, err := s.d.Accounts.UserByHandle(ctx, c.Handle)
		created := false
		if errors.Is(err, account.ErrUserNotFound) {
			u, _, err = s.d.Accounts.Register(ctx, account.Registration{
				Email: c.Handle + "@" + EmailDomain, Password: Password, Handle: c.Handle, DisplayName: c.Name,
			}, account.Client{IP: "127.0.0.1", UserAgent: "reelmart seed"})
			created = err == nil
			if errors.Is(err, account.ErrHandleTaken) { // another seeder was quicker
				u, err = s.d.Accounts.UserByHandle(ctx, c.Handle)
			}
		}
		if err != nil {
			return fmt.Errorf("demo: account %s: %w", c.Handle, err)
		}
		s.users[c.Handle] = u.ID
		if u.Bio == "" && c.Bio != "" {
			bio := c.Bio
			if _, err := s.d.Accounts.UpdateProfile(ctx, u.ID, account.ProfilePatch{Bio: &bio}); err != nil {
				return fmt.Errorf("demo: bio of %s: %w", c.Handle, err)
			}
			created = true
		}
		if u.AvatarURL == nil {
			pic, err := avatar(c.Name, c.Color)
			if err != nil {
				return err
			}
			if _, err := s.d.Accounts.SetAvatar(ctx, u.ID, bytes.NewReader(pic)); err != nil {
				return fmt.Errorf("demo: avatar of %s: %w", c.Handle, err)
			}
			created = true
		}
		s.step(created, "account @%s", c.Handle)
	}
	return nil
}

// follows has the shopper follow every creator, and some creators each other.
func (s *Seeder) follows(ctx context.Context) error {
	pairs := append([][2]string{}, follows...)
	for _, c := range creators {
		pairs = append(pairs, [2]string{Shopper, c.Handle})
	}
	for _, p := range pairs {
		// Following is idempotent, so there is nothing to look up first.
		if err := s.d.Accounts.Follow(ctx, s.users[p[0]], s.users[p[1]]); err != nil {
			return fmt.Errorf("demo: %s follows %s: %w", p[0], p[1], err)
		}
	}
	s.step(false, "%d follows", len(pairs))
	return nil
}
