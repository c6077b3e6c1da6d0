package api_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/internal/mediatest"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/jobs"
)

// pinsHarness is the API wired as cmd/reelmart wires it for pins: media
// with the catalog's linker, on real engines and the real transcoder.
type pinsHarness struct {
	*harness
	media   *mediaHarness
	shop    *catalogHarness
	catalog *catalog.Service
}

func newPinsHarness(t *testing.T, d *db.DB) *pinsHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	accounts := testAccounts(d, c.now)
	blobs, ix := localEngines(t)
	cat := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, c.now)

	var svc *media.Service
	q, err := jobs.Open(t.Context(), d, slog.New(slog.DiscardHandler), jobs.Kind{
		Name: media.TranscodeKind, MaxAttempts: 2, Timeout: 5 * time.Minute,
		Handler: func(ctx context.Context, j jobs.Job) error { return svc.TranscodeJob(ctx, j) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	svc, err = media.NewService(media.Deps{
		DB: d, Blob: blobs, Jobs: q, Now: c.now, Products: cat.Pins(),
		Transcoder: mediatest.Sandbox(t),
	}, media.Config{StagingDir: t.TempDir(), PublicURL: "http://reelmart.test", Rungs: []int{144}})
	if err != nil {
		t.Fatal(err)
	}
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	srv := api.New(api.Deps{Accounts: accounts, Catalog: cat, Media: svc, Checks: checks, MaxBodyBytes: 64 << 10})
	h := &harness{t: t, db: d, srv: srv, clock: c, checks: checks}
	return &pinsHarness{
		harness: h,
		media:   &mediaHarness{harness: h, media: svc, queue: q, store: blobs},
		shop:    &catalogHarness{harness: h, catalog: cat, index: ix},
		catalog: cat,
	}
}

type pinJSON struct {
	ProductID      string        `json:"product_id"`
	Title          string        `json:"title"`
	ImageURL       *string       `json:"image_url"`
	Price          catalog.Money `json:"price"`
	StockAvailable int           `json:"stock_available"`
	StartMS        *int64        `json:"start_ms"`
	EndMS          *int64        `json:"end_ms"`
}

type pinnedVideo struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	DurationMS int64     `json:"duration_ms"`
	Products   []pinJSON `json:"products"`
}

type showcaseJSON struct {
	Items []struct {
		Product  productJSON `json:"product"`
		VideoID  string      `json:"video_id"`
		PinnedAt time.Time   `json:"pinned_at"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func link(productID string, span ...int64) map[string]any {
	l := map[string]any{"product_id": productID}
	if len(span) == 2 {
		l["start_ms"], l["end_ms"] = span[0], span[1]
	}
	return l
}

// relink sends PUT /videos/{id}/products.
func (h *pinsHarness) relink(token, videoID string, links ...map[string]any) *response {
	h.t.Helper()
	if links == nil {
		links = []map[string]any{}
	}
	return h.do(req{method: "PUT", path: "/api/v1/videos/" + videoID + "/products", token: token, body: map[string]any{"products": links}})
}

func (h *pinsHarness) video(token, id string) pinnedVideo {
	h.t.Helper()
	r := h.do(req{method: "GET", path: "/api/v1/videos/" + id, token: token})
	if r.StatusCode != 200 {
		h.t.Fatalf("GET video: %d %s", r.StatusCode, r.body)
	}
	var v pinnedVideo
	r.json(&v)
	return v
}

// showcase reads every page of a creator's showcase with limit and
// returns the product ids and the videos named, in order.
func (h *pinsHarness) showcase(userID string, limit int) (products, videos []string) {
	h.t.Helper()
	cursor := ""
	for range 20 {
		r := h.do(req{method: "GET", path: fmt.Sprintf("/api/v1/users/%s/showcase?limit=%d&cursor=%s", userID, limit, url.QueryEscape(cursor))})
		if r.StatusCode != 200 {
			h.t.Fatalf("showcase: %d %s", r.StatusCode, r.body)
		}
		var page showcaseJSON
		r.json(&page)
		for _, it := range page.Items {
			products, videos = append(products, it.Product.ID), append(videos, it.VideoID)
		}
		if page.NextCursor == nil {
			return products, videos
		}
		cursor = *page.NextCursor
	}
	h.t.Fatal("the showcase does not end")
	return nil, nil
}

// readyVideo inserts a ready video of creator with SQL, for tests about the
// catalog's rules, where a real transcode would only cost time.
func (h *pinsHarness) readyVideo(creator string, durationMS int64, status ...string) string {
	h.t.Helper()
	st := "ready"
	if len(status) > 0 {
		st = status[0]
	}
	id := reelmart.NewID()
	now := h.clock.now()
	h.clock.add(time.Second)
	if _, err := h.db.Exec(`INSERT INTO videos (id, creator_id, status, progress, duration_ms, width, height, created_at, updated_at)
		VALUES ($1, $2, $3, 1, $4, 320, 240, $5, $5)`, id, creator, st, durationMS, now); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func fieldNames(p problemDoc) []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// TestPinsJourneyHTTP pins products through the real media path: a clip is
// uploaded with tus, probed in the sandbox, published with its pins in
// media's transaction and transcoded by the queue, because what is tested
// here is how pins ride along that path (the probed duration, the rollback
// of a refused publish, a processing video left out of the showcase).
func TestPinsJourneyHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newPinsHarness(t, d)
		mia, ana, bob := h.register("mia"), h.register("ana"), h.register("bob")
		sh := h.shop.createShop(mia.Token, "Mia Shoes")
		shoe := h.shop.createProduct(mia.Token, sh.ID, "Trail shoe", "active")
		hat := h.shop.createProduct(mia.Token, sh.ID, "Sun hat", "active")
		draft := h.shop.createProduct(mia.Token, sh.ID, "Secret", "draft")
		gone := h.shop.createProduct(mia.Token, sh.ID, "Old model", "active")
		if r := h.do(req{method: "DELETE", path: "/api/v1/products/" + gone.ID, token: mia.Token}); r.StatusCode != 204 {
			t.Fatalf("archive: %d %s", r.StatusCode, r.body)
		}

		upload := h.media.uploadFile(ana.Token, mediatest.Fixture(t, "good.mp4")) // 2 s
		publish := func(links ...map[string]any) *response {
			return h.do(req{method: "POST", path: "/api/v1/videos", token: ana.Token,
				body: map[string]any{"upload_id": upload, "caption": "My kit", "products": links}})
		}
		// The span is checked against the probed length: 5 s is past the end.
		p := expectProblem(t, publish(link(shoe.ID, 0, 5000)), 422, "validation_failed")
		if !slices.Equal(fieldNames(p), []string{"products[0].end_ms"}) {
			t.Fatalf("span past the end: %+v", p)
		}
		p = expectProblem(t, publish(link(shoe.ID), link(gone.ID), link(draft.ID), link("missing")), 422, "product_not_linkable")
		if !slices.Equal(fieldNames(p), []string{"products[1].product_id", "products[2].product_id", "products[3].product_id"}) {
			t.Fatalf("not linkable: %+v", p)
		}
		if n := h.count("videos") + h.count("pins"); n != 0 {
			t.Fatalf("refused publishes left %d rows", n)
		}

		// The refused publishes gave the upload back: the same one works now.
		r := publish(link(hat.ID, 0, 1500), link(shoe.ID))
		if r.StatusCode != 202 {
			t.Fatalf("publish: %d %s", r.StatusCode, r.body)
		}
		var v pinnedVideo
		r.json(&v)
		if v.Status != "processing" || len(v.Products) != 2 || v.Products[0].ProductID != hat.ID || v.Products[1].ProductID != shoe.ID {
			t.Fatalf("published: %s", r.body)
		}
		hp, sp := v.Products[0], v.Products[1]
		if hp.Title != "Sun hat" || hp.ImageURL != nil || hp.Price != (catalog.Money{AmountMinor: 2500, Currency: "USD"}) ||
			hp.StockAvailable != 3 || *hp.StartMS != 0 || *hp.EndMS != 1500 || sp.StartMS != nil || sp.EndMS != nil {
			t.Fatalf("pins: %s", r.body)
		}
		if got := h.video(ana.Token, v.ID); len(got.Products) != 2 {
			t.Fatalf("GET shows %+v", got.Products)
		}
		if ids, _ := h.showcase(ana.User.ID, 10); len(ids) != 0 {
			t.Fatalf("a processing video fills the showcase: %v", ids)
		}
		if r := h.relink(bob.Token, v.ID, link(hat.ID)); r.StatusCode != 404 {
			t.Fatalf("bob relinks a processing video he cannot see: %d %s", r.StatusCode, r.body)
		}

		wctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.media.queue.Work(wctx, jobs.Workers{Long: 1}) }()
		for deadline := time.Now().Add(2 * time.Minute); v.Status == "processing" && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			v = h.video(ana.Token, v.ID)
		}
		cancel()
		<-done
		if v.Status != "ready" || len(v.Products) != 2 {
			t.Fatalf("after the transcode: %+v", v)
		}
		if got := h.video("", v.ID); len(got.Products) != 2 {
			t.Fatalf("anonymous viewers see %+v", got.Products)
		}
		if ids, videos := h.showcase(ana.User.ID, 1); !slices.Equal(ids, []string{hat.ID, shoe.ID}) || videos[0] != v.ID || videos[1] != v.ID {
			t.Fatalf("showcase once ready: %v %v", ids, videos)
		}

		// Relinking: only the creator, signed in, within the rules.
		expectProblem(t, h.relink(bob.Token, v.ID, link(hat.ID)), 403, "not_video_owner")
		expectProblem(t, h.relink("", v.ID, link(hat.ID)), 401, "auth_required")
		var eleven []map[string]any
		for i := range 11 {
			eleven = append(eleven, link(fmt.Sprintf("p%d", i)))
		}
		if p := expectProblem(t, h.relink(ana.Token, v.ID, eleven...), 422, "validation_failed"); p.Errors[0].Field != "products" {
			t.Fatalf("eleven: %+v", p)
		}
		if p := expectProblem(t, h.relink(ana.Token, v.ID, link(hat.ID), link(hat.ID, 0, 100)), 422, "validation_failed"); p.Errors[0].Field != "products[1].product_id" {
			t.Fatalf("duplicate: %+v", p)
		}
		if p := expectProblem(t, h.relink(ana.Token, v.ID, link(hat.ID, 0, v.DurationMS+1)), 422, "validation_failed"); p.Errors[0].Field != "products[0].end_ms" {
			t.Fatalf("past the end: %+v", p)
		}
		if p := expectProblem(t, h.relink(ana.Token, v.ID, link(hat.ID, 900, 100)), 422, "validation_failed"); p.Errors[0].Field != "products[0].end_ms" {
			t.Fatalf("end before start: %+v", p)
		}
		if p := expectProblem(t, h.relink(ana.Token, v.ID, link(draft.ID), link(gone.ID)), 422, "product_not_linkable"); len(p.Errors) != 2 {
			t.Fatalf("draft and archived: %+v", p)
		}
		if got := h.video(ana.Token, v.ID); len(got.Products) != 2 {
			t.Fatalf("a refused relink changed the pins: %+v", got.Products)
		}

		r = h.relink(ana.Token, v.ID, link(shoe.ID, 500, v.DurationMS))
		v = pinnedVideo{}
		r.json(&v)
		if r.StatusCode != 200 || len(v.Products) != 1 || v.Products[0].ProductID != shoe.ID || *v.Products[0].StartMS != 500 || *v.Products[0].EndMS != v.DurationMS {
			t.Fatalf("relink: %d %s", r.StatusCode, r.body)
		}
		if ids, _ := h.showcase(ana.User.ID, 10); !slices.Equal(ids, []string{shoe.ID}) {
			t.Fatalf("showcase after relink: %v", ids)
		}
		if r := h.relink(ana.Token, v.ID); r.StatusCode != 200 || len(h.video(ana.Token, v.ID).Products) != 0 || h.count("pins") != 0 {
			t.Fatalf("unpin all: %d %s", r.StatusCode, r.body)
		}
		if ids, _ := h.showcase(ana.User.ID, 10); len(ids) != 0 {
			t.Fatalf("showcase after unpinning: %v", ids)
		}
	})
}

// TestPinnedProductCardsHTTP checks what a pin shows as stock, price and
// the catalog change. The video is inserted ready with SQL: this is the
// catalog's logic, and a transcode would add only time.
func TestPinnedProductCardsHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newPinsHarness(t, d)
		mia, ana := h.register("mia"), h.register("ana")
		sh := h.shop.createShop(mia.Token, "Mia Hats")
		hat := h.shop.createProduct(mia.Token, sh.ID, "Sun hat", "active") // S: 2500 × 3, M: 2700 × 0
		beanie := h.shop.createProduct(mia.Token, sh.ID, "Cap", "active")
		vid := h.readyVideo(ana.User.ID, 8000)
		if r := h.relink(ana.Token, vid, link(hat.ID, 1000, 4000), link(beanie.ID)); r.StatusCode != 200 {
			t.Fatalf("relink: %d %s", r.StatusCode, r.body)
		}
		card := func() pinJSON {
			t.Helper()
			v := h.video("", vid)
			if len(v.Products) == 0 || v.Products[0].ProductID != hat.ID {
				t.Fatalf("products %+v", v.Products)
			}
			return v.Products[0]
		}
		if c := card(); c.Price.AmountMinor != 2500 || c.StockAvailable != 3 || c.ImageURL != nil {
			t.Fatalf("card %+v", c)
		}

		im := h.shop.uploadImage(mia.Token, hat.ID, catPNG(t, 60, 40))
		if r := h.do(req{method: "PATCH", path: "/api/v1/products/" + hat.ID, token: mia.Token,
			body: map[string]any{"skus": []map[string]any{{"id": hat.SKUs[1].ID, "price": map[string]any{"amount_minor": 1900}}}}}); r.StatusCode != 200 {
			t.Fatalf("price: %d %s", r.StatusCode, r.body)
		}
		if r := h.do(req{method: "PUT", path: "/api/v1/skus/" + hat.SKUs[1].ID + "/stock", token: mia.Token, body: map[string]int{"stock": 5}}); r.StatusCode != 200 {
			t.Fatalf("stock: %d %s", r.StatusCode, r.body)
		}
		if c := card(); c.Price.AmountMinor != 1900 || c.StockAvailable != 8 || c.ImageURL == nil || *c.ImageURL != im.URL {
			t.Fatalf("card after price, stock and image: %+v", c)
		}
		err := h.db.Tx(context.Background(), func(tx *sql.Tx) error {
			for _, k := range []struct {
				id  string
				qty int
			}{{hat.SKUs[0].ID, 2}, {hat.SKUs[1].ID, 5}} {
				if err := h.catalog.Reserve(context.Background(), tx, []catalog.Hold{{SKUID: k.id, Qty: k.qty}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if c := card(); c.StockAvailable != 1 {
			t.Fatalf("available with reservations = %d, want 1", c.StockAvailable)
		}
		err = h.db.Tx(context.Background(), func(tx *sql.Tx) error {
			_, err := h.catalog.Release(context.Background(), tx, []catalog.Hold{{SKUID: hat.SKUs[0].ID, Qty: 2}, {SKUID: hat.SKUs[1].ID, Qty: 5}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if c := card(); c.StockAvailable != 8 {
			t.Fatalf("available after they were released = %d, want 8", c.StockAvailable)
		}

		// The creator's listing carries the same cards.
		var page struct {
			Items []pinnedVideo `json:"items"`
		}
		h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/videos"}).json(&page)
		if len(page.Items) != 1 || len(page.Items[0].Products) != 2 || page.Items[0].Products[1].ProductID != beanie.ID {
			t.Fatalf("listing: %+v", page.Items)
		}

		// Archiving hides the pin everywhere but keeps the row.
		if r := h.do(req{method: "DELETE", path: "/api/v1/products/" + hat.ID, token: mia.Token}); r.StatusCode != 204 {
			t.Fatalf("archive: %d", r.StatusCode)
		}
		if v := h.video(ana.Token, vid); len(v.Products) != 1 || v.Products[0].ProductID != beanie.ID {
			t.Fatalf("after archiving: %+v", v.Products)
		}
		if ids, _ := h.showcase(ana.User.ID, 10); !slices.Equal(ids, []string{beanie.ID}) {
			t.Fatalf("showcase after archiving: %v", ids)
		}
		if n := h.count("pins"); n != 2 {
			t.Fatalf("pins stored = %d, want 2", n)
		}
	})
}

// TestShowcaseHTTP pages a showcase. Videos are inserted with SQL in the
// states needed (ready, processing): the order and paging are the catalog's.
func TestShowcaseHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newPinsHarness(t, d)
		mia, ana := h.register("mia"), h.register("ana")
		sh := h.shop.createShop(mia.Token, "Mia Things")
		var p []string
		for i := range 5 {
			p = append(p, h.shop.createProduct(mia.Token, sh.ID, fmt.Sprintf("Thing %d", i), "active").ID)
		}
		first, second, processing := h.readyVideo(ana.User.ID, 5000), h.readyVideo(ana.User.ID, 5000), h.readyVideo(ana.User.ID, 5000, "processing")
		for _, c := range []struct {
			video string
			links []map[string]any
		}{
			{first, []map[string]any{link(p[0]), link(p[1])}},
			{second, []map[string]any{link(p[2]), link(p[0], 0, 1000)}},
			{processing, []map[string]any{link(p[3])}},
		} {
			if r := h.relink(ana.Token, c.video, c.links...); r.StatusCode != 200 {
				t.Fatalf("relink: %d %s", r.StatusCode, r.body)
			}
		}
		// Relinking the first video with p[1] kept does not make p[1] newer.
		if r := h.relink(ana.Token, first, link(p[1]), link(p[0])); r.StatusCode != 200 {
			t.Fatalf("relink: %d %s", r.StatusCode, r.body)
		}
		want, wantVideos := []string{p[2], p[0], p[1]}, []string{second, second, first}
		for _, limit := range []int{1, 2, 20} {
			if ids, videos := h.showcase(ana.User.ID, limit); !slices.Equal(ids, want) || !slices.Equal(videos, wantVideos) {
				t.Fatalf("limit %d: %v from %v, want %v from %v", limit, ids, videos, want, wantVideos)
			}
		}
		r := h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/showcase?limit=1", token: mia.Token})
		var page showcaseJSON
		r.json(&page)
		if len(page.Items) != 1 || page.Items[0].Product.SKUs[0].Stock == nil || page.NextCursor == nil {
			t.Fatalf("the shop owner's view: %s", r.body)
		}

		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/users/nobody/showcase"}), 404, "user_not_found")
		for _, q := range []string{"cursor=zzz", "limit=0", "limit=101"} {
			expectProblem(t, h.do(req{method: "GET", path: "/api/v1/users/" + ana.User.ID + "/showcase?" + q}), 422, "validation_failed")
		}
		if ids, _ := h.showcase(mia.User.ID, 5); len(ids) != 0 {
			t.Fatalf("mia pinned nothing: %v", ids)
		}
	})
}
