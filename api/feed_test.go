package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/feed"
	"github.com/reelmart/reelmart/feed/engagement"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/media/transcode"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/jobs"
)

// feedHarness is the API with the real feed, engagement, media, catalog
// and job queue on a Bleve index.
type feedHarness struct {
	*harness
	feed *feed.Service
	eng  *engagement.Service
}

// reindexer reaches the feed once it is built: engagement and media come first.
type reindexer struct{ f **feed.Service }

func (r reindexer) VideosChanged(ctx context.Context, tx *sql.Tx, ids ...string) error {
	return (*r.f).VideosChanged(ctx, tx, ids...)
}

func newFeedHarness(t *testing.T, d *db.DB) *feedHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	var fs *feed.Service
	idx := reindexer{&fs}
	eng, err := engagement.NewService(engagement.Deps{DB: d, Now: c.now, Reindexer: idx,
		Mergers: []engagement.ViewerMerger{func(ctx context.Context, tx *sql.Tx, from, to string) error { return fs.MergeViewer(ctx, tx, from, to) }}},
		engagement.Config{})
	if err != nil {
		t.Fatal(err)
	}
	accounts := testAccounts(d, c.now, eng.EraseUser, func(ctx context.Context, tx *sql.Tx, id string) error { return fs.ForgetViewer(ctx, tx, id) })
	blobs, ix := localEngines(t)
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD", Videos: idx}, c.now)
	q, err := jobs.OpenWith(t.Context(), d, slog.New(slog.DiscardHandler), jobs.Options{Backoff: func(int) time.Duration { return 100 * time.Millisecond }, ShortPollInterval: 50 * time.Millisecond},
		jobs.Kind{Name: feed.IndexKind, Queue: jobs.QueueShort, MaxAttempts: jobs.Forever, Timeout: time.Minute,
			Handler: func(ctx context.Context, j jobs.Job) error { return fs.IndexJob(ctx, j) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	med, err := media.NewService(media.Deps{DB: d, Blob: blobs, Transcoder: transcode.Sandbox{}, Jobs: q, Products: cat.Pins(), Index: idx, Now: c.now},
		media.Config{StagingDir: t.TempDir(), PublicURL: "http://reelmart.test"})
	if err != nil {
		t.Fatal(err)
	}
	fs, err = feed.NewService(feed.Deps{DB: d, Index: ix, Jobs: q, Videos: med, Signals: feed.EngagementSignals{Service: eng},
		Follows: accounts, Users: accounts, Now: c.now}, feed.Config{})
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = q.Work(wctx, jobs.Workers{Short: 2}) }()
	t.Cleanup(func() { stop(); <-done })
	checks := []api.Check{{Name: "database", Ping: d.PingContext}, {Name: "search", Ping: ix.Ping, Optional: true}}
	srv := api.New(api.Deps{Accounts: accounts, Catalog: cat, Media: med, Engagement: eng, Feed: fs, Checks: checks, MaxBodyBytes: 64 << 10})
	return &feedHarness{harness: &harness{t: t, db: d, srv: srv, clock: c, checks: checks}, feed: fs, eng: eng}
}

// video stores a ready video as a finished transcode leaves it, and
// indexes it.
func (h *feedHarness) video(creator string, age time.Duration, tags ...string) string {
	h.t.Helper()
	id := reelmart.NewID()
	raw, _ := json.Marshal(tags)
	at := h.clock.now().Add(-age)
	if _, err := h.db.Exec(`INSERT INTO videos (id, creator_id, status, progress, caption, hashtags, duration_ms, width, height,
		renditions, hls_key, poster_key, created_at, updated_at) VALUES ($1, $2, 'ready', 1, 'A clip', $3, 12000, 720, 1280, '[]', $4, $5, $6, $6)`,
		id, creator, string(raw), "videos/"+id+"/hls/master.m3u8", "videos/"+id+"/poster.jpg", at); err != nil {
		h.t.Fatal(err)
	}
	if err := h.feed.IndexVideos(context.Background(), id); err != nil {
		h.t.Fatal(err)
	}
	return id
}

type feedItemJSON struct {
	ID       string   `json:"id"`
	Hashtags []string `json:"hashtags"`
	Liked    bool     `json:"liked"`
	Creator  struct {
		ID          string `json:"id"`
		IsFollowing bool   `json:"is_following"`
	} `json:"creator"`
	Stats struct {
		Views int64 `json:"views"`
		Likes int64 `json:"likes"`
	} `json:"stats"`
	Debug *struct {
		Score float64            `json:"score"`
		Parts map[string]float64 `json:"parts"`
	} `json:"debug"`
}

type feedPageJSON struct {
	Items      []feedItemJSON `json:"items"`
	NextCursor *string        `json:"next_cursor"`
	Degraded   bool           `json:"degraded"`
	Total      int            `json:"total"`
}

func (h *feedHarness) feedPage(path, token string, header map[string]string) (feedPageJSON, *response) {
	h.t.Helper()
	r := h.do(req{method: "GET", path: path, token: token, header: header})
	if r.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: %d %s", path, r.StatusCode, r.body)
	}
	var p feedPageJSON
	r.json(&p)
	return p, r
}

func TestFeedHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newFeedHarness(t, d)
		chef, rover := h.register("chef"), h.register("rover")
		var cooking, travel []string
		for i := range 4 {
			cooking = append(cooking, h.video(chef.User.ID, time.Duration(i)*time.Hour, "cooking"))
			travel = append(travel, h.video(rover.User.ID, time.Duration(i)*time.Hour, "travel"))
		}
		if err := h.feed.IndexVideos(context.Background()); err != nil {
			t.Fatal(err)
		}

		// Signed out: a viewer_id cookie, and a session of every video once.
		p, r := h.feedPage("/api/v1/feed?limit=5", "", nil)
		cookie := ""
		for _, c := range r.Cookies() {
			if c.Name == "viewer_id" {
				cookie = c.Value
			}
		}
		if cookie == "" || p.Degraded || len(p.Items) != 5 || p.NextCursor == nil {
			t.Fatalf("signed-out first page: cookie %q, degraded %v, %d items", cookie, p.Degraded, len(p.Items))
		}
		withCookie := map[string]string{"Cookie": "viewer_id=" + cookie}
		seen := ids(p.Items)
		p2, _ := h.feedPage("/api/v1/feed?limit=5&cursor="+*p.NextCursor, "", withCookie)
		seen = append(seen, ids(p2.Items)...)
		if slices.Sort(seen); len(seen) != 8 || len(slices.Compact(slices.Clone(seen))) != 8 {
			t.Fatalf("two pages showed %v; want all 8 videos once", seen)
		}
		// The cursor is bound to the viewer: without the cookie it is refused.
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/feed?cursor=" + *p.NextCursor}), 422, "validation_failed")

		// Bad parameters are validation errors naming the field.
		for _, q := range []string{"cursor=forged", "limit=0", "limit=51", "limit=x", "debug=2"} {
			pr := expectProblem(t, h.do(req{method: "GET", path: "/api/v1/feed?" + q, header: withCookie}), 422, "validation_failed")
			if field := strings.SplitN(q, "=", 2)[0]; len(pr.Errors) != 1 || pr.Errors[0].Field != field {
				t.Errorf("%s: errors %+v, want one on %s", q, pr.Errors, field)
			}
		}

		// A signed-in viewer who likes and finishes a #cooking video: the
		// like and the counters show on the page (read from the database),
		// and once the events are aggregated their profile gives #cooking
		// an interest part.
		fan := h.register("fan")
		liked := cooking[0]
		if r := h.do(req{method: "PUT", path: "/api/v1/videos/" + liked + "/like", token: fan.Token}); r.StatusCode != 200 {
			t.Fatalf("like: %d %s", r.StatusCode, r.body)
		}
		events := []map[string]any{{"event_id": "e1", "type": "view"}, {"event_id": "e2", "type": "complete", "position_ms": 12000, "watched_ms": 12000}}
		if r := h.do(req{method: "POST", path: "/api/v1/videos/" + liked + "/events", token: fan.Token, body: map[string]any{"events": events}}); r.StatusCode != 202 {
			t.Fatalf("events: %d %s", r.StatusCode, r.body)
		}
		if _, err := h.eng.Aggregate(context.Background()); err != nil {
			t.Fatal(err)
		}
		p, _ = h.feedPage("/api/v1/feed?limit=50&debug=1", fan.Token, nil)
		for _, it := range p.Items {
			if it.Debug == nil || len(it.Debug.Parts) != 5 {
				t.Fatalf("debug=1 item without its parts: %+v", it)
			}
			sum := 0.0
			for _, v := range it.Debug.Parts {
				sum += v
			}
			if math.Abs(sum-it.Debug.Score) > 1e-5 {
				t.Errorf("item %s: parts add up to %v, score %v", it.ID, sum, it.Debug.Score)
			}
			isCooking := slices.Contains(it.Hashtags, "cooking")
			if isCooking != (it.Debug.Parts["interest"] > 0) {
				t.Errorf("item %s (#cooking %v): interest %v", it.ID, isCooking, it.Debug.Parts["interest"])
			}
			if it.ID == liked && (!it.Liked || it.Stats.Likes != 1 || it.Stats.Views != 1) {
				t.Errorf("the liked video: liked %v, stats %+v", it.Liked, it.Stats)
			}
		}
		if len(p.Items) != 8 || !slices.Contains(cooking, p.Items[0].ID) {
			t.Fatalf("for a #cooking fan the feed starts with %v", ids(p.Items))
		}

		// Following: signed in only, followed creators only.
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/feed/following"}), 401, "auth_required")
		h.do(req{method: "PUT", path: "/api/v1/users/" + rover.User.ID + "/follow", token: fan.Token})
		p, _ = h.feedPage("/api/v1/feed/following?limit=3", fan.Token, nil)
		p2, _ = h.feedPage("/api/v1/feed/following?limit=3&cursor="+*p.NextCursor, fan.Token, nil)
		all := append(p.Items, p2.Items...)
		if got := ids(all); len(got) != 4 || !slices.Equal(got, travel) || p2.NextCursor != nil {
			t.Fatalf("following feed %v, want the travel videos newest first %v", got, travel)
		}
		for _, it := range all {
			if !it.Creator.IsFollowing {
				t.Fatal("a following-feed item says is_following false")
			}
		}

		// Search and trending.
		p, _ = h.feedPage("/api/v1/search?type=videos&q=cooks", "", nil)
		if got := ids(p.Items); p.Total != 4 || len(got) != 4 || !slices.Contains(got, cooking[3]) {
			t.Fatalf("video search: %v (total %d)", got, p.Total)
		}
		r = h.do(req{method: "GET", path: "/api/v1/search?type=users&q=ro"})
		var users struct {
			Items []struct {
				Handle string `json:"handle"`
			} `json:"items"`
			Total int `json:"total"`
		}
		if r.json(&users); r.StatusCode != 200 || users.Total != 1 || users.Items[0].Handle != "rover" {
			t.Fatalf("user search: %d %s", r.StatusCode, r.body)
		}
		r = h.do(req{method: "GET", path: "/api/v1/trending/hashtags?limit=1"})
		var trending struct {
			Items []struct {
				Tag    string `json:"tag"`
				Videos int    `json:"videos"`
			} `json:"items"`
		}
		if r.json(&trending); r.StatusCode != 200 || len(trending.Items) != 1 || trending.Items[0].Videos != 4 {
			t.Fatalf("trending: %d %s", r.StatusCode, r.body)
		}
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/trending/hashtags?limit=99"}), 422, "validation_failed")
	})
}

func ids(items []feedItemJSON) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}
