package media_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/internal/mediatest"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/blob"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/jobs"
)

var ctx = context.Background()

func job(id string, attempt int) jobs.Job {
	args, _ := json.Marshal(media.TranscodeArgs{VideoID: id})
	return jobs.Job{ID: 1, Kind: media.TranscodeKind, Args: args, Attempt: attempt, MaxAttempts: 3}
}

func TestPublishRejectsBadFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mediatest.LocalStore(t), media.Config{})
		ana := e.user("ana")
		for file, want := range map[string]string{
			"png.mp4":       "not_a_video",
			"empty.mp4":     "empty_file",
			"audio.mp4":     "no_video_stream",
			"truncated.mp4": "",
		} {
			t.Run(file, func(t *testing.T) {
				id := e.upload(ana, mediatest.Fixture(t, file), 1<<20)
				v, err := e.svc.Publish(ctx, ana, media.NewVideo{UploadID: id, Caption: "bad", Hashtags: []string{"#Bad"}})
				if err != nil {
					t.Fatalf("publish: %v", err)
				}
				if v.Status != media.StatusFailed || v.ErrorCode == "" || v.Error == "" || (want != "" && v.ErrorCode != want) {
					t.Fatalf("video = %+v, want failed with %q", v, want)
				}
				if v.HLSURL != "" || len(v.Renditions) != 0 || v.Hashtags[0] != "bad" {
					t.Fatalf("failed video = %+v", v)
				}
				if k := mediatest.Keys(t, e.store, ""); len(k) != 0 {
					t.Fatalf("a rejected file left objects: %v", k)
				}
				if _, err := os.Stat(filepath.Join(e.staging, id)); !os.IsNotExist(err) {
					t.Fatalf("staged file kept: %v", err)
				}
				if _, err := e.svc.Publish(ctx, ana, media.NewVideo{UploadID: id}); code(err) != "upload_already_used" {
					t.Fatalf("reuse: %v", err)
				}
				got, err := e.svc.Video(ctx, v.ID, ana)
				if err != nil || got.ErrorCode != v.ErrorCode {
					t.Fatalf("Video = %+v, %v", got, err)
				}
				if _, err := e.svc.Video(ctx, v.ID, ""); code(err) != "video_not_found" {
					t.Fatalf("a failed video is visible to others: %v", err)
				}
			})
		}
	})
}

func TestPublishValidation(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), mediatest.LocalStore(t), media.Config{})
	ana, bob := e.user("ana"), e.user("bob")
	long := strings.Repeat("é", media.MaxCaption+1)
	tags := make([]string, 31)
	for i := range tags {
		tags[i] = "t"
	}
	cases := []struct {
		name  string
		in    media.NewVideo
		field string
	}{
		{"no upload", media.NewVideo{}, "upload_id"},
		{"caption", media.NewVideo{UploadID: "x", Caption: long}, "caption"},
		{"too many hashtags", media.NewVideo{UploadID: "x", Hashtags: tags}, "hashtags"},
		{"bad hashtag", media.NewVideo{UploadID: "x", Hashtags: []string{"ok", "no-dash"}}, "hashtags[1]"},
		{"empty hashtag", media.NewVideo{UploadID: "x", Hashtags: []string{"#"}}, "hashtags[0]"},
		{"long hashtag", media.NewVideo{UploadID: "x", Hashtags: []string{strings.Repeat("a", 101)}}, "hashtags[0]"},
		{"too many products", media.NewVideo{UploadID: "x", Products: make([]media.ProductLink, 11)}, "products"},
		{"bad span", media.NewVideo{UploadID: "x", Products: []media.ProductLink{{ProductID: "p", StartMS: 500, EndMS: 100}}}, "products[0].end_ms"},
	}
	for _, c := range cases {
		_, err := e.svc.Publish(ctx, ana, c.in)
		if code(err) != "validation_failed" || !strings.Contains(fields(err), c.field) {
			t.Errorf("%s: err = %v (fields %s), want validation_failed on %s", c.name, err, fields(err), c.field)
		}
	}
	if _, err := e.svc.Publish(ctx, ana, media.NewVideo{UploadID: "x", Products: []media.ProductLink{{ProductID: "p", StartMS: 0, EndMS: 100}}}); code(err) != "products_unavailable" {
		t.Errorf("products without a catalog: %v", err)
	}
	if _, err := e.svc.Publish(ctx, ana, media.NewVideo{UploadID: "nope"}); code(err) != "upload_not_found" {
		t.Errorf("missing upload: %v", err)
	}
	half, err := e.createUpload(ana, 100, "half.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Publish(ctx, ana, media.NewVideo{UploadID: half}); code(err) != "upload_incomplete" {
		t.Errorf("unfinished upload: %v", err)
	}
	if _, err := e.svc.Publish(ctx, bob, media.NewVideo{UploadID: half}); code(err) != "upload_not_found" {
		t.Errorf("another user's upload: %v", err)
	}
}

// TestPublishAndTranscode runs the publish journey on both databases and
// both blob engines with the real sandboxed transcoder.
func TestPublishAndTranscode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		stores(t, func(t *testing.T, store blob.Store) {
			e := newEnv(t, d, store, media.Config{Rungs: []int{240, 144}})
			ana, bob := e.user("ana_"+t.Name()[len(t.Name())-2:]), e.user("bob_"+t.Name()[len(t.Name())-2:])
			id := e.upload(ana, mediatest.Fixture(t, "good.mp4"), 100<<10)
			v, err := e.svc.Publish(ctx, ana, media.NewVideo{UploadID: id, Caption: " Hello ", Hashtags: []string{"#Shoes", "shoes", "Run_2"}})
			if err != nil {
				t.Fatal(err)
			}
			if v.Status != media.StatusProcessing || v.Progress != 0 || v.Caption != "Hello" || !slices.Equal(v.Hashtags, []string{"shoes", "run_2"}) ||
				v.Width != 320 || v.Height != 240 || v.DurationMS < 1900 || v.Creator.ID != ana || v.HLSURL != "" {
				t.Fatalf("published = %+v", v)
			}
			if k := mediatest.Keys(t, store, ""); !slices.Equal(k, []string{"videos/" + v.ID + "/source"}) {
				t.Fatalf("objects after publish = %v", k)
			}
			if _, err := e.svc.Video(ctx, v.ID, bob); code(err) != "video_not_found" {
				t.Fatalf("processing video visible to others: %v", err)
			}

			if err := e.svc.TranscodeJob(ctx, job(v.ID, 1)); err != nil {
				t.Fatalf("transcode job: %v", err)
			}
			got, err := e.svc.Video(ctx, v.ID, bob)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != media.StatusReady || got.Progress != 1 || len(got.Renditions) != 2 ||
				got.HLSURL != "http://reelmart.test/api/v1/videos/"+v.ID+"/hls/master.m3u8" ||
				got.PosterURL != "http://reelmart.test/api/v1/videos/"+v.ID+"/poster.jpg" {
				t.Fatalf("after transcode = %+v", got)
			}
			for _, r := range got.Renditions {
				if r.Width == 0 || r.Height == 0 || r.Bandwidth == 0 || !strings.Contains(r.Codecs, "avc1") {
					t.Errorf("rendition %+v", r)
				}
			}
			key, err := e.svc.ObjectKey(ctx, v.ID, "hls/master.m3u8")
			if err != nil {
				t.Fatal(err)
			}
			checkObject(t, store, key, "application/vnd.apple.mpegurl", "#EXTM3U")
			poster, _ := e.svc.ObjectKey(ctx, v.ID, "poster.jpg")
			checkObject(t, store, poster, "image/jpeg", "\xff\xd8")
			var sawSegment, sawInit bool
			for _, k := range mediatest.Keys(t, store, "videos/"+v.ID+"/hls/") {
				info, err := store.Stat(ctx, k)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case strings.HasSuffix(k, ".m4s"):
					sawSegment = info.ContentType == "video/iso.segment"
				case strings.HasSuffix(k, ".mp4"):
					sawInit = info.ContentType == "video/mp4"
				}
			}
			if !sawSegment || !sawInit {
				t.Fatalf("segments or init segments missing or mistyped: %v", mediatest.Keys(t, store, ""))
			}

			if err := e.svc.Delete(ctx, v.ID, bob); code(err) != "not_video_owner" {
				t.Fatalf("bob deletes: %v", err)
			}
			if err := e.svc.Delete(ctx, v.ID, ana); err != nil {
				t.Fatal(err)
			}
			if k := mediatest.Keys(t, store, ""); len(k) != 0 {
				t.Fatalf("objects after delete: %v", k)
			}
			if _, err := e.svc.Video(ctx, v.ID, ana); code(err) != "video_not_found" {
				t.Fatalf("deleted video: %v", err)
			}
			if err := e.svc.Delete(ctx, v.ID, ana); code(err) != "video_not_found" {
				t.Fatalf("second delete: %v", err)
			}
		})
	})
}

func checkObject(t *testing.T, store blob.Store, key, contentType, prefix string) {
	t.Helper()
	rc, info, err := store.Get(ctx, key, blob.Whole)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if info.ContentType != contentType || !strings.HasPrefix(string(b), prefix) {
		t.Fatalf("%s: type %q, starts %q", key, info.ContentType, b[:min(len(b), 16)])
	}
}

// TestTranscodeJobFailures covers a source the transcoder rejects, a last
// attempt that fails, and a video deleted before its job runs.
func TestTranscodeJobFailures(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		store := mediatest.LocalStore(t)
		e := newEnv(t, d, store, media.Config{Rungs: []int{144}})
		ana := e.user("ana")

		v, err := e.publish(ana, mediatest.Fixture(t, "noaudio.mp4"))
		if err != nil || v.Status != media.StatusProcessing {
			t.Fatalf("publish: %+v %v", v, err)
		}
		png, _ := os.ReadFile(mediatest.Fixture(t, "png.mp4"))
		if err := store.Put(ctx, "videos/"+v.ID+"/source", strings.NewReader(string(png)), int64(len(png)), ""); err != nil {
			t.Fatal(err)
		}
		err = e.svc.TranscodeJob(ctx, job(v.ID, 1))
		if !jobs.IsPermanent(err) {
			t.Fatalf("rejected source: err = %v, want permanent", err)
		}
		if got, _ := e.svc.Video(ctx, v.ID, ana); got.Status != media.StatusFailed || got.ErrorCode == "" {
			t.Fatalf("after reject: %+v", got)
		}
		if k := mediatest.Keys(t, store, ""); len(k) != 0 {
			t.Fatalf("objects after reject: %v", k)
		}

		v, _ = e.publish(ana, mediatest.Fixture(t, "noaudio.mp4"))
		if err := store.Delete(ctx, "videos/"+v.ID+"/source"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.TranscodeJob(ctx, job(v.ID, 1)); err == nil || jobs.IsPermanent(err) {
			t.Fatalf("missing source, first attempt: %v", err)
		}
		if got, _ := e.svc.Video(ctx, v.ID, ana); got.Status != media.StatusProcessing {
			t.Fatalf("failed early: %+v", got)
		}
		if err := e.svc.TranscodeJob(ctx, job(v.ID, 3)); err == nil {
			t.Fatal("missing source, last attempt succeeded")
		}
		if got, _ := e.svc.Video(ctx, v.ID, ana); got.Status != media.StatusFailed || got.ErrorCode != "transcode_failed" {
			t.Fatalf("after last attempt: %+v", got)
		}

		v, _ = e.publish(ana, mediatest.Fixture(t, "noaudio.mp4"))
		if err := e.svc.Delete(ctx, v.ID, ana); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.TranscodeJob(ctx, job(v.ID, 1)); err != nil {
			t.Fatalf("job of a deleted video: %v", err)
		}
		if k := mediatest.Keys(t, store, ""); len(k) != 0 {
			t.Fatalf("objects left: %v", k)
		}
	})
}

// TestQueueRunsTranscode runs the job through the real queue's Work loop.
func TestQueueRunsTranscode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mediatest.LocalStore(t), media.Config{Rungs: []int{144}})
		ana := e.user("ana")
		v, err := e.publish(ana, mediatest.Fixture(t, "good.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- e.queue.Work(wctx, jobs.Workers{Long: 1}) }()
		defer func() { cancel(); <-done }()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			got, err := e.svc.Video(ctx, v.ID, ana)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == media.StatusReady {
				break
			}
			if got.Status == media.StatusFailed || time.Now().After(deadline) {
				t.Fatalf("video = %+v", got)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
}

func TestListingAndCursor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mediatest.LocalStore(t), media.Config{})
		ana, bob := e.user("ana"), e.user("bob")
		var ids []string
		for i := 0; i < 5; i++ {
			v, err := e.publish(ana, mediatest.Fixture(t, "empty.mp4"))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.ID)
			e.clock.add(time.Second)
		}
		// Videos 0, 2 and 4 are made ready by hand: only listing is under test here.
		for _, i := range []int{0, 2, 4} {
			if _, err := d.Exec(`UPDATE videos SET status = 'ready', error_code = '', error_message = '' WHERE id = $1`, ids[i]); err != nil {
				t.Fatal(err)
			}
		}
		list := func(viewer string, limit int) []string {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				p, err := e.svc.UserVideos(ctx, ana, viewer, cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) > limit || pages > 10 {
					t.Fatalf("page of %d with limit %d", len(p.Items), limit)
				}
				for _, v := range p.Items {
					got = append(got, v.ID)
				}
				if p.NextCursor == "" {
					return got
				}
				cursor = p.NextCursor
			}
		}
		if got, want := list(bob, 2), []string{ids[4], ids[2], ids[0]}; !slices.Equal(got, want) {
			t.Errorf("bob sees %v, want %v", got, want)
		}
		if got, want := list(ana, 2), []string{ids[4], ids[3], ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
			t.Errorf("ana sees %v, want %v", got, want)
		}
		if got := list(ana, 1); len(got) != 5 {
			t.Errorf("one per page: %v", got)
		}
		if _, err := e.svc.UserVideos(ctx, ana, ana, "garbage!", 2); code(err) != "validation_failed" {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestQuotaAndSweep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mediatest.LocalStore(t), media.Config{MaxUploadBytes: 1000, UploadQuotaBytes: 1500, AbandonAfter: time.Hour})
		ana := e.user("ana")
		if _, err := e.createUpload(ana, 1001, "big.mp4"); code(err) != "upload_too_large" {
			t.Fatalf("over max size: %v", err)
		}
		first, err := e.createUpload(ana, 1000, "a.mp4")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.createUpload(ana, 600, "b.mp4"); code(err) != "upload_quota_exceeded" {
			t.Fatalf("over quota: %v", err)
		}
		if w, err := e.tus("DELETE", ana, first, nil, nil); err != nil || w.Code != 204 {
			t.Fatalf("terminate: %v %d", err, w.Code)
		}
		second, err := e.createUpload(ana, 600, "b.mp4")
		if err != nil {
			t.Fatalf("after termination the quota is free again: %v", err)
		}
		e.clock.add(30 * time.Minute)
		third, err := e.createUpload(ana, 600, "c.mp4")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(45 * time.Minute)
		n, err := e.svc.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("Sweep = %d, %v; want the one upload older than an hour", n, err)
		}
		if _, err := os.Stat(filepath.Join(e.staging, second)); !os.IsNotExist(err) {
			t.Fatalf("swept upload's file: %v", err)
		}
		if _, err := e.tus("HEAD", ana, second, nil, nil); code(err) != "upload_not_found" {
			t.Fatalf("HEAD of swept upload: %v", err)
		}
		if w, err := e.tus("HEAD", ana, third, nil, nil); err != nil || w.Header().Get("Upload-Offset") != "0" {
			t.Fatalf("young upload swept: %v", err)
		}
	})
}

// catalog stands in for the catalog domain (whose own tests cover the real
// linker, catalog.Pins): it records the links it is given and refuses a
// span past the video's end, so these tests are about media's side only.
type catalog struct {
	links map[string][]media.ProductLink
}

func (c *catalog) LinkedProducts(ctx context.Context, videoIDs []string) (map[string][]media.PinnedProduct, error) {
	out := map[string][]media.PinnedProduct{}
	for _, id := range videoIDs {
		for _, l := range c.links[id] {
			out[id] = append(out[id], media.PinnedProduct{ProductID: l.ProductID, Title: "Product " + l.ProductID})
		}
	}
	return out, nil
}

func (c *catalog) LinkProducts(ctx context.Context, tx *sql.Tx, videoID, creatorID string, links []media.ProductLink, durationMS int64) error {
	for i, l := range links {
		if l.EndMS > durationMS {
			return reelmart.Invalid([]reelmart.FieldError{{Field: fmt.Sprintf("products[%d].end_ms", i), Message: "is past the end of the video"}})
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM videos WHERE id = $1 AND creator_id = $2`, videoID, creatorID).Scan(&n); err != nil || n != 1 {
		return fmt.Errorf("video row not visible in the transaction: %d, %v", n, err)
	}
	c.links[videoID] = links
	return nil
}

func TestProductLinks(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, mediatest.LocalStore(t), media.Config{})
		cat := &catalog{links: map[string][]media.ProductLink{}}
		svc, err := media.NewService(media.Deps{DB: d, Blob: e.store, Transcoder: mediatest.Sandbox(t), Jobs: e.queue, Products: cat, Now: e.clock.now},
			media.Config{StagingDir: e.staging})
		if err != nil {
			t.Fatal(err)
		}
		e.svc = svc
		ana, bob := e.user("ana"), e.user("bob")
		past := []media.ProductLink{{ProductID: "p1", StartMS: 0, EndMS: 60000}}
		if _, err := svc.Publish(ctx, ana, media.NewVideo{UploadID: e.upload(ana, mediatest.Fixture(t, "noaudio.mp4"), 1<<20), Products: past}); code(err) != "validation_failed" {
			t.Fatalf("span past the end: %v", err)
		}
		if k := mediatest.Keys(t, e.store, ""); len(k) != 0 {
			t.Fatalf("a refused publish left objects: %v", k)
		}
		links := []media.ProductLink{{ProductID: "p1", StartMS: 0, EndMS: 1500}}
		v, err := e.publish(ana, mediatest.Fixture(t, "noaudio.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Relink(ctx, v.ID, bob, links); code(err) != "video_not_found" {
			t.Fatalf("bob relinks a processing video: %v", err)
		}
		if _, err := d.Exec(`UPDATE videos SET status = 'ready' WHERE id = $1`, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Relink(ctx, v.ID, bob, links); code(err) != "not_video_owner" {
			t.Fatalf("bob relinks: %v", err)
		}
		got, err := svc.Relink(ctx, v.ID, ana, links)
		if err != nil || len(cat.links[v.ID]) != 1 {
			t.Fatalf("ana relinks: %v %v", err, cat.links)
		}
		if len(got.Products) != 1 || got.Products[0].ProductID != "p1" {
			t.Fatalf("relinked video shows products %+v", got.Products)
		}
		page, err := svc.UserVideos(ctx, ana, "", "", 0)
		if err != nil || len(page.Items) != 1 || len(page.Items[0].Products) != 1 {
			t.Fatalf("listing shows products %+v, %v", page.Items, err)
		}
		if _, err := svc.Relink(ctx, v.ID, ana, []media.ProductLink{{ProductID: "p2"}}); err != nil || cat.links[v.ID][0].HasSpan() {
			t.Fatalf("a link without a span: %v %v", err, cat.links)
		}
	})
}

// TestProgressMoves watches the stored progress of a 10 s clip while it
// transcodes: it must show values between 0 and 1 and never go back.
func TestProgressMoves(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite), mediatest.LocalStore(t), media.Config{Rungs: []int{360, 240}})
	ana := e.user("ana")
	v, err := e.publish(ana, mediatest.Fixture(t, "long.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.svc.TranscodeJob(ctx, job(v.ID, 1)) }()
	var seen []float64
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		case <-time.After(20 * time.Millisecond):
		}
		got, err := e.svc.Video(ctx, v.ID, ana)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) == 0 || got.Progress != seen[len(seen)-1] {
			seen = append(seen, got.Progress)
		}
	}
	if !slices.IsSorted(seen) || seen[len(seen)-1] != 1 || !slices.ContainsFunc(seen, func(p float64) bool { return p > 0 && p < 1 }) {
		t.Fatalf("progress went %v", seen)
	}
}
