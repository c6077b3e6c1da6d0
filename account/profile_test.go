package account_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/account"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/blob/local"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/imaging"
)

func withAvatars(t *testing.T, d *db.DB) (*account.Service, blob.Store) {
	t.Helper()
	st, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := account.NewService(d, account.Config{Hasher: fastHasher, Blobs: st, AvatarSize: 64,
		Images: imaging.New(imaging.Limits{MaxBytes: 200_000})}, time.Now)
	return s, st
}

func TestUpdateProfile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := newService(t, d)
		u, sess := mustRegister(t, s, "bio_writer")
		name, bio := "  Ana Lee  ", "Cooks at dawn.\r\nFilms at noon. 🍳"
		got, err := s.UpdateProfile(ctx, u.ID, account.ProfilePatch{DisplayName: &name, Bio: &bio})
		if err != nil {
			t.Fatal(err)
		}
		if got.DisplayName != "Ana Lee" || got.Bio != "Cooks at dawn.\nFilms at noon. 🍳" || got.Email != u.Email {
			t.Fatalf("updated = %+v", got)
		}
		// A field left out is kept; every reader sees the new values.
		other := "Ana L."
		if _, err := s.UpdateProfile(ctx, u.ID, account.ProfilePatch{DisplayName: &other}); err != nil {
			t.Fatal(err)
		}
		if a, err := s.Authenticate(ctx, sess.Token); err != nil || a.DisplayName != "Ana L." || a.Bio != got.Bio {
			t.Fatalf("after a name-only patch: %+v, %v", a, err)
		}
		if p, err := s.Profile(ctx, u.ID, ""); err != nil || p.Bio != got.Bio || p.Email != "" {
			t.Fatalf("public profile: %+v, %v", p, err)
		}
		empty := ""
		if got, err := s.UpdateProfile(ctx, u.ID, account.ProfilePatch{Bio: &empty}); err != nil || got.Bio != "" {
			t.Fatalf("clearing the bio: %+v, %v", got, err)
		}
		if _, err := s.UpdateProfile(ctx, "nobody", account.ProfilePatch{Bio: &bio}); !errors.Is(err, account.ErrUserNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	})
}

func TestUpdateProfileValidation(t *testing.T) {
	s, _ := newService(t, dbtest.Open(t, db.SQLite))
	u, _ := mustRegister(t, s, "strict")
	str := func(v string) *string { return &v }
	for _, tc := range []struct {
		name   string
		patch  account.ProfilePatch
		fields []string
	}{
		{"blank name", account.ProfilePatch{DisplayName: str("   ")}, []string{"display_name"}},
		{"long name", account.ProfilePatch{DisplayName: str(strings.Repeat("n", 51))}, []string{"display_name"}},
		{"long bio", account.ProfilePatch{Bio: str(strings.Repeat("é", account.MaxBio+1))}, []string{"bio"}},
		{"bio with a tab", account.ProfilePatch{Bio: str("a\tb")}, []string{"bio"}},
		{"bio with a bell", account.ProfilePatch{Bio: str("a\x07b")}, []string{"bio"}},
		{"both bad", account.ProfilePatch{DisplayName: str(""), Bio: str("\x1b[31m")}, []string{"display_name", "bio"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.UpdateProfile(ctx, u.ID, tc.patch)
			if code(err) != "validation_failed" {
				t.Fatalf("err = %v, want validation_failed", err)
			}
			var got []string
			for _, f := range reelmart.AsError(err).Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
		})
	}
	// Nothing changed.
	if p, _ := s.Profile(ctx, u.ID, ""); p.DisplayName != "User strict" || p.Bio != "" {
		t.Fatalf("a refused patch changed the profile: %+v", p)
	}
	// The longest bio is accepted.
	if _, err := s.UpdateProfile(ctx, u.ID, account.ProfilePatch{Bio: str(strings.Repeat("é", account.MaxBio))}); err != nil {
		t.Fatalf("bio of %d runes: %v", account.MaxBio, err)
	}
}

// photo is a w×h JPEG whose EXIF carries a GPS-like secret and whose left
// half is red, right half green.
func photo(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{220, 20, 20, 255}
			if x >= w/2 {
				c = color.RGBA{20, 200, 20, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	payload := "Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00secret-gps-48.8566N"
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(append(append([]byte{}, raw[:2]...), append(seg, payload...)...), raw[2:]...)
}

func read(t *testing.T, st blob.Store, key string) ([]byte, blob.Info) {
	t.Helper()
	rc, info, err := st.Get(ctx, key, blob.Whole)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b, info
}

func TestAvatar(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, st := withAvatars(t, d)
		u, sess := mustRegister(t, s, "face")
		if u.AvatarURL != nil {
			t.Fatalf("new user has avatar %q", *u.AvatarURL)
		}
		got, err := s.SetAvatar(ctx, u.ID, bytes.NewReader(photo(t, 200, 100)))
		if err != nil {
			t.Fatal(err)
		}
		if got.AvatarURL == nil || !strings.HasPrefix(*got.AvatarURL, "/api/v1/users/"+u.ID+"/avatars/") || !strings.HasSuffix(*got.AvatarURL, "/display") {
			t.Fatalf("avatar_url = %v", got.AvatarURL)
		}
		avatarID := strings.Split(*got.AvatarURL, "/")[6]
		if a, _ := s.Authenticate(ctx, sess.Token); a.AvatarURL == nil || *a.AvatarURL != *got.AvatarURL {
			t.Fatalf("session user avatar = %v", a.AvatarURL)
		}
		// The display copy is the centre square at AvatarSize; the original is
		// the whole picture, and neither keeps the EXIF secret.
		_, key, err := s.AvatarBlob(ctx, u.ID, avatarID, account.AvatarDisplay)
		if err != nil {
			t.Fatal(err)
		}
		disp, info := read(t, st, key)
		cfg, format, err := image.DecodeConfig(bytes.NewReader(disp))
		if err != nil || format != "jpeg" || cfg.Width != 64 || cfg.Height != 64 || info.ContentType != "image/jpeg" {
			t.Fatalf("display: %v %s %+v %s", err, format, cfg, info.ContentType)
		}
		_, okey, err := s.AvatarBlob(ctx, u.ID, avatarID, account.AvatarOriginal)
		if err != nil {
			t.Fatal(err)
		}
		orig, _ := read(t, st, okey)
		if ocfg, _, err := image.DecodeConfig(bytes.NewReader(orig)); err != nil || ocfg.Width != 200 || ocfg.Height != 100 {
			t.Fatalf("original: %+v %v", ocfg, err)
		}
		for _, b := range [][]byte{disp, orig} {
			if bytes.Contains(b, []byte("secret-gps")) || bytes.Contains(b, []byte("Exif\x00\x00")) {
				t.Fatal("a stored avatar file kept the EXIF metadata")
			}
		}
		if _, _, err := s.AvatarBlob(ctx, u.ID, avatarID, "thumb"); !errors.Is(err, account.ErrAvatarNotFound) {
			t.Fatalf("unknown variant: %v", err)
		}

		// A bad file changes nothing.
		if _, err := s.SetAvatar(ctx, u.ID, strings.NewReader("not an image")); code(err) != "invalid_image" {
			t.Fatalf("text as avatar: %v", err)
		}
		if _, err := s.SetAvatar(ctx, u.ID, bytes.NewReader(make([]byte, 200_001))); code(err) != "image_too_large" {
			t.Fatalf("huge avatar: %v", err)
		}
		if p, _ := s.Profile(ctx, u.ID, ""); p.AvatarURL == nil || *p.AvatarURL != *got.AvatarURL {
			t.Fatalf("a refused upload changed the avatar: %v", p.AvatarURL)
		}

		// A new avatar gets a new URL; the old files and URL are gone.
		again, err := s.SetAvatar(ctx, u.ID, bytes.NewReader(photo(t, 50, 80)))
		if err != nil {
			t.Fatal(err)
		}
		if *again.AvatarURL == *got.AvatarURL {
			t.Fatal("a new avatar kept the old URL")
		}
		if _, _, err := s.AvatarBlob(ctx, u.ID, avatarID, account.AvatarDisplay); !errors.Is(err, account.ErrAvatarNotFound) {
			t.Fatalf("replaced avatar still served: %v", err)
		}
		for _, k := range []string{key, okey} {
			if _, err := st.Stat(ctx, k); !errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("replaced avatar file %s: %v", k, err)
			}
		}
		if keys := listKeys(t, st, "avatars/"); len(keys) != 2 {
			t.Fatalf("avatar files after a replacement: %v", keys)
		}

		// Removing it twice is fine; then deleting the account leaves no file.
		if r, err := s.RemoveAvatar(ctx, u.ID); err != nil || r.AvatarURL != nil {
			t.Fatalf("remove: %+v %v", r, err)
		}
		if _, err := s.RemoveAvatar(ctx, u.ID); err != nil {
			t.Fatalf("second remove: %v", err)
		}
		if keys := listKeys(t, st, "avatars/"); len(keys) != 0 {
			t.Fatalf("files after remove: %v", keys)
		}
		if _, err := s.SetAvatar(ctx, u.ID, bytes.NewReader(photo(t, 30, 30))); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, u.ID, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		if keys := listKeys(t, st, "avatars/"); len(keys) != 0 {
			t.Fatalf("files after the account was deleted: %v", keys)
		}
	})
}

func TestAvatarInExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		s, _ := withAvatars(t, d)
		a, _ := mustRegister(t, s, "exporter")
		b, _ := mustRegister(t, s, "followed")
		bio := "hello"
		if _, err := s.UpdateProfile(ctx, a.ID, account.ProfilePatch{Bio: &bio}); err != nil {
			t.Fatal(err)
		}
		fb, err := s.SetAvatar(ctx, b.ID, bytes.NewReader(photo(t, 40, 40)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Follow(ctx, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		ex, err := s.Export(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ex.User.Bio != "hello" || len(ex.Following) != 1 || ex.Following[0].AvatarURL == nil ||
			*ex.Following[0].AvatarURL != *fb.AvatarURL || ex.Following[0].Email != "" {
			t.Fatalf("export = %+v", ex)
		}
	})
}

func TestAvatarsNeedABlobStore(t *testing.T) {
	s, _ := newService(t, dbtest.Open(t, db.SQLite))
	u, _ := mustRegister(t, s, "nostore")
	if _, err := s.SetAvatar(context.Background(), u.ID, bytes.NewReader(photo(t, 10, 10))); !errors.Is(err, account.ErrAvatarsUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func listKeys(t *testing.T, st blob.Store, prefix string) []string {
	t.Helper()
	var keys []string
	for info, err := range st.List(ctx, prefix) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	return keys
}
