package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/internal/browsertest"
	"github.com/reelmart/reelmart/internal/demo"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/testenv"
)

// seedCounts reads what the demo left in the data dir's database, through
// a connection of the test's own beside the running server's.
func seedCounts(t *testing.T, dbURL, dataDir string) string {
	t.Helper()
	d, err := db.Open(context.Background(), dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var out []string
	for _, table := range []string{"users", "shops", "products", "skus", "product_images", "videos", "pins", "orders", "follows", "video_likes", "comments"} {
		var n int
		if err := d.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", table, n))
	}
	return strings.Join(out, " ")
}

// signIn returns a demo account's token.
func signIn(t *testing.T, base, handle string) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, handle+"@"+demo.EmailDomain, demo.Password)
	if status := call(t, "POST", base+"/api/v1/auth/login", "", body, &s); status != 200 {
		t.Fatalf("demo login %s: %d", handle, status)
	}
	return s.Token
}

// `reelmart seed` beside a running serve, on each deployment: on the
// embedded defaults it must not touch the Bleve folder serve holds, yet
// its products become searchable (serve runs the reindex job it queues)
// and its videos ready (serve transcodes them); a second run changes nothing.
func TestSeedBesideRunningServe(t *testing.T) {
	t.Setenv("REELMART_TEST_RUN_MAIN", "1") // the sandbox re-runs this binary as `reelmart transcode`
	for _, tc := range []struct {
		name string
		env  func(t *testing.T) map[string]string
	}{
		{"embedded", func(t *testing.T) map[string]string { return map[string]string{} }},
		{"scale-out", func(t *testing.T) map[string]string {
			return map[string]string{
				"REELMART_DATABASE_URL": dbtest.PostgresURL(t),
				"REELMART_BLOB_URL":     testenv.S3(t),
				"REELMART_SEARCH_URL":   testenv.Elastic(t),
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.env(t)
			cfg["REELMART_DATA_DIR"] = t.TempDir()
			base, stop := serveUntilReady(t, cfg)
			defer stop()
			var env []string
			for k, v := range cfg {
				env = append(env, k+"="+v)
			}
			seedBesideServe(t, base, env, cfg["REELMART_DATABASE_URL"], cfg["REELMART_DATA_DIR"])
		})
	}
}

func seedBesideServe(t *testing.T, base string, env []string, dbURL, dir string) {
	out, errOut, code := runMain(t, env, "seed", "quick")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("videos %d/%d ready", 14, 14)) || !strings.Contains(out, "seed: done") {
		t.Fatalf("seed: exit %d\n%s\n%s", code, out, errOut)
	}
	first := seedCounts(t, dbURL, dir)
	if want := "users=8 shops=6 products=17"; !strings.HasPrefix(first, want) {
		t.Fatalf("after seeding: %s, want %s…", first, want)
	}
	if strings.Contains(first, "video_likes=0") || strings.Contains(first, "comments=0") {
		t.Fatalf("after seeding: %s, want likes and comments on the ready videos", first)
	}

	// The products reach serve's index through the job seed queued.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var res struct {
			Items []struct {
				Title string `json:"title"`
			} `json:"items"`
		}
		call(t, "GET", base+"/api/v1/search?type=products&q=apron", "", "", &res)
		if len(res.Items) > 0 && res.Items[0].Title == "Linen apron" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the seeded products never became searchable: %+v", res)
		}
		time.Sleep(250 * time.Millisecond)
	}
	token := signIn(t, base, demo.Shopper)
	var orders struct {
		Items []any `json:"items"`
	}
	if call(t, "GET", base+"/api/v1/orders", token, "", &orders); len(orders.Items) != 7 {
		t.Fatalf("the shopper has %d orders, want 7", len(orders.Items))
	}

	out, errOut, code = runMain(t, env, "seed", "quick")
	if code != 0 || !strings.Contains(out, "seed: 0 made") {
		t.Fatalf("second seed: exit %d\n%s\n%s", code, out, errOut)
	}
	if again := seedCounts(t, dbURL, dir); again != first {
		t.Fatalf("a second seed changed the data: %s, was %s", again, first)
	}
}

// On a fresh data dir, serve with REELMART_DEMO seeds the demo world by
// itself; its first video becomes ready and plays in Chromium, with a
// product pinned and the creator's avatar served.
func TestFirstRunSeedsAndPlays(t *testing.T) {
	t.Setenv("REELMART_TEST_RUN_MAIN", "1")
	dir := t.TempDir()
	start := time.Now()
	base, stop := serveUntilReady(t, map[string]string{"REELMART_DEMO": "quick", "REELMART_DATA_DIR": dir})
	defer stop()

	token := signIn(t, base, waitForUser(t, dir, "mia.cooks"))
	var me struct {
		ID        string  `json:"id"`
		AvatarURL *string `json:"avatar_url"`
	}
	call(t, "GET", base+"/api/v1/me", token, "", &me)
	type videoDoc struct {
		Status   string `json:"status"`
		Caption  string `json:"caption"`
		HLSURL   string `json:"hls_url"`
		Products []struct {
			Title string `json:"title"`
		} `json:"products"`
		Creator struct {
			AvatarURL *string `json:"avatar_url"`
		} `json:"creator"`
	}
	var first videoDoc
	deadline := time.Now().Add(3 * time.Minute)
	for first.Status != "ready" {
		var page struct {
			Items []videoDoc `json:"items"`
		}
		call(t, "GET", base+"/api/v1/users/"+me.ID+"/videos", token, "", &page)
		for _, v := range page.Items {
			if strings.HasPrefix(v.Caption, "15-minute tomato pasta") {
				first = v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first demo video is not ready after 3 minutes: %+v", first)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("first demo video ready %s after serve started", time.Since(start).Round(100*time.Millisecond))
	call(t, "GET", base+"/api/v1/me", token, "", &me) // the avatar is set after the account is made
	if len(first.Products) != 2 || first.Products[0].Title != "Linen apron" || first.Creator.AvatarURL == nil || me.AvatarURL == nil {
		t.Fatalf("first video: %+v", first)
	}
	resp, err := http.Get(*me.AvatarURL)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("avatar: %v %v", resp, err)
	}
	resp.Body.Close()

	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, browsertest.VideoPage(first.HLSURL))
	}))
	defer page.Close()
	pb, err := browsertest.PlayHLS(browsertest.New(t), page.URL)
	if err != nil || pb.Advanced() <= 0 {
		t.Fatalf("Chromium did not play the first demo video %s: %v (%+v)", first.HLSURL, err, pb)
	}
}

// waitForUser waits until the first-run seed has made the account. It
// looks in the database rather than trying to sign in, which would count
// as failed logins and trip the throttle.
func waitForUser(t *testing.T, dataDir, handle string) string {
	t.Helper()
	d, err := db.Open(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM users WHERE handle = $1`, handle).Scan(&n); err == nil && n == 1 {
			return handle
		}
		if time.Now().After(deadline) {
			t.Fatalf("@%s was not seeded within a minute", handle)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
