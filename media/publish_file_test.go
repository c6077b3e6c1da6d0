package media_test

import (
	"os"
	"testing"

	"github.com/reelmart/reelmart/internal/mediatest"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// A local file goes through the same probe, quota and job as an upload;
// a refused publish leaves neither an upload row nor a staged file.
func TestPublishFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mediatest.LocalStore(t), media.Config{UploadQuotaBytes: 10 << 20})
		ana := e.user("ana")
		v, err := e.svc.PublishFile(ctx, ana, mediatest.Fixture(t, "good.mp4"), media.NewVideo{UploadID: "ignored", Caption: "from disk #demo", Hashtags: []string{"demo"}})
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != media.StatusProcessing || v.Caption != "from disk #demo" || v.DurationMS < 1900 || v.Creator.ID != ana {
			t.Fatalf("published %+v", v)
		}
		var jobs, consumed int
		if err := d.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = $1`, media.TranscodeKind).Scan(&jobs); err != nil || jobs != 1 {
			t.Fatalf("transcode jobs: %d, %v", jobs, err)
		}
		if err := d.QueryRow(`SELECT COUNT(*) FROM uploads WHERE user_id = $1 AND consumed_at IS NOT NULL`, ana).Scan(&consumed); err != nil || consumed != 1 {
			t.Fatalf("consumed uploads: %d, %v", consumed, err)
		}

		// Not a video: a failed video, as for an upload.
		png := mediatest.Fixture(t, "png.mp4")
		if v, err := e.svc.PublishFile(ctx, ana, png, media.NewVideo{}); err != nil || v.Status != media.StatusFailed || v.ErrorCode == "" {
			t.Fatalf("png: %+v %v", v, err)
		}
		// A refused request keeps nothing.
		if _, err := e.svc.PublishFile(ctx, ana, mediatest.Fixture(t, "good.mp4"), media.NewVideo{Hashtags: []string{"not ok"}}); code(err) != "validation_failed" {
			t.Fatalf("bad hashtag: %v", err)
		}
		if _, err := e.svc.PublishFile(ctx, ana, "/nonexistent/clip.mp4", media.NewVideo{}); err == nil {
			t.Fatal("a missing file was published")
		}
		var pending int
		if err := d.QueryRow(`SELECT COUNT(*) FROM uploads WHERE consumed_at IS NULL`).Scan(&pending); err != nil || pending != 0 {
			t.Fatalf("uploads left behind: %d, %v", pending, err)
		}
		if entries, _ := os.ReadDir(e.staging); len(entries) != 0 {
			t.Fatalf("staged files left behind: %v", entries)
		}
	})
}
