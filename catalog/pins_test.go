package catalog_test

import (
	"bytes"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/media"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

// These tests are about the catalog's rules for pins, so they insert video
// rows with SQL in the state they need (ready, processing, a given length)
// instead of publishing and transcoding real clips; api/pins_test.go does
// the whole journey through media.

// video inserts a video row of creator with status and length and returns its id.
func (e *env) video(creator, status string, durationMS int64) string {
	e.t.Helper()
	id := reelmart.NewID()
	now := time.Now().UTC().Truncate(time.Microsecond)
	_, err := e.db.ExecContext(ctx, `INSERT INTO videos (id, creator_id, status, duration_ms, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)`, id, creator, status, durationMS, now)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// link replaces the pins of a video through the linker, as media does.
func (e *env) link(videoID, creator string, durationMS int64, links ...media.ProductLink) error {
	e.t.Helper()
	return e.db.Tx(ctx, func(tx *sql.Tx) error {
		return e.svc.Pins().LinkProducts(ctx, tx, videoID, creator, links, durationMS)
	})
}

func (e *env) mustLink(videoID, creator string, durationMS int64, links ...media.ProductLink) {
	e.t.Helper()
	if err := e.link(videoID, creator, durationMS, links...); err != nil {
		e.t.Fatalf("link: %v", err)
	}
}

func (e *env) pinRows(videoID string) []string {
	e.t.Helper()
	rows, err := e.db.QueryContext(ctx, `SELECT id, product_id FROM pins WHERE video_id = $1 ORDER BY position`, videoID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, product string
		if err := rows.Scan(&id, &product); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, id+"="+product)
	}
	return out
}

func pin(productID string, span ...int64) media.ProductLink {
	l := media.ProductLink{ProductID: productID}
	if len(span) == 2 {
		l.StartMS, l.EndMS = span[0], span[1]
	}
	return l
}

func TestPinRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, creator := e.user("merchant"), e.user("creator")
		sh := e.shop(merchant, "Pin Shop")
		var active []string
		for i := range 11 {
			active = append(active, e.product(merchant, sh.ID, fmt.Sprintf("Active %d", i), catalog.StatusActive).ID)
		}
		draft := e.product(merchant, sh.ID, "Draft", catalog.StatusDraft).ID
		archived := e.product(merchant, sh.ID, "Archived", catalog.StatusActive).ID
		if err := e.svc.ArchiveProduct(ctx, merchant, archived); err != nil {
			t.Fatal(err)
		}
		ownDraft := e.product(creator, e.shop(creator, "Creator Shop").ID, "Own draft", catalog.StatusDraft).ID
		v := e.video(creator, "ready", 10_000)

		eleven := make([]media.ProductLink, 11)
		for i := range eleven {
			eleven[i] = pin(active[i])
		}
		cases := []struct {
			name   string
			dur    int64
			links  []media.ProductLink
			code   string
			fields []string
		}{
			{"eleven", 10_000, eleven, "validation_failed", []string{"products"}},
			{"duplicate", 10_000, []media.ProductLink{pin(active[0]), pin(active[1]), pin(active[0], 0, 500)}, "validation_failed", []string{"products[2].product_id"}},
			{"blank id", 10_000, []media.ProductLink{pin(" ")}, "validation_failed", []string{"products[0].product_id"}},
			{"past the end", 10_000, []media.ProductLink{pin(active[0], 9_000, 10_001)}, "validation_failed", []string{"products[0].end_ms"}},
			{"end before start", 10_000, []media.ProductLink{pin(active[0], 5_000, 5_000)}, "validation_failed", []string{"products[0].end_ms"}},
			{"negative start", 10_000, []media.ProductLink{pin(active[0], -1, 5_000)}, "validation_failed", []string{"products[0].start_ms"}},
			{"span, length unknown", 0, []media.ProductLink{pin(active[0], 0, 1_000)}, "validation_failed", []string{"products[0].end_ms"}},
			{"not linkable", 10_000, []media.ProductLink{pin(active[0]), pin(archived), pin(draft), pin("no-such-product"), pin(ownDraft)},
				"product_not_linkable", []string{"products[1].product_id", "products[2].product_id", "products[3].product_id", "products[4].product_id"}},
		}
		for _, c := range cases {
			err := e.link(v, creator, c.dur, c.links...)
			if code(err) != c.code || !slices.Equal(fields(err), c.fields) || reelmart.ErrorKind(err) != reelmart.KindInvalid {
				t.Errorf("%s: %v (fields %v), want %s on %v", c.name, err, fields(err), c.code, c.fields)
			}
		}
		if rows := e.pinRows(v); len(rows) != 0 {
			t.Fatalf("refused links stored pins: %v", rows)
		}

		// Ten pins, spans up to the very end; the whole video when no span is given.
		var ten []media.ProductLink
		for i := range 10 {
			ten = append(ten, pin(active[i], int64(i)*1000, 10_000))
		}
		ten[9] = pin(active[9])
		e.mustLink(v, creator, 10_000, ten...)
		before := e.pinRows(v)
		if len(before) != 10 {
			t.Fatalf("pins = %v", before)
		}
		var start, end sql.NullInt64
		if err := d.QueryRow(`SELECT start_ms, end_ms FROM pins WHERE video_id = $1 AND product_id = $2`, v, active[9]).Scan(&start, &end); err != nil || start.Valid || end.Valid {
			t.Fatalf("whole-video pin stored %v %v, %v", start, end, err)
		}

		// Relink: keep active[3] (same pin row), add active[10], drop the rest, in the new order.
		e.mustLink(v, creator, 10_000, pin(active[10]), pin(active[3], 100, 200))
		after := e.pinRows(v)
		if len(after) != 2 || !strings.HasSuffix(after[0], "="+active[10]) || after[1] != before[3] {
			t.Fatalf("after relink %v (before %v)", after, before)
		}
		e.mustLink(v, creator, 10_000)
		if rows := e.pinRows(v); len(rows) != 0 {
			t.Fatalf("an empty relink left %v", rows)
		}
	})
}

func TestLinkedProducts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, creator := e.user("merchant"), e.user("creator")
		sh := e.shop(merchant, "Card Shop")
		shoe := e.product(merchant, sh.ID, "Shoe", catalog.StatusActive, sku("S", 3000, 4), sku("M", 2500, 1), sku("L", 2800, 0))
		hat := e.product(merchant, sh.ID, "Hat", catalog.StatusActive)
		im, err := e.svc.AddImage(ctx, merchant, hat.ID, bytes.NewReader(testImage(t, "png", 40, 20)))
		if err != nil {
			t.Fatal(err)
		}
		v1, v2, empty := e.video(creator, "ready", 5_000), e.video(creator, "processing", 5_000), e.video(creator, "ready", 5_000)
		e.mustLink(v1, creator, 5_000, pin(hat.ID, 1_000, 2_000), pin(shoe.ID))
		e.mustLink(v2, creator, 5_000, pin(shoe.ID, 0, 5_000))

		got, err := e.svc.Pins().LinkedProducts(ctx, []string{v1, v2, empty})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || len(got[v1]) != 2 || len(got[v2]) != 1 {
			t.Fatalf("linked = %+v", got)
		}
		h, s := got[v1][0], got[v1][1]
		if h.ProductID != hat.ID || h.Title != "Hat" || h.ImageURL == nil || *h.ImageURL != im.URL ||
			h.Price != (media.Money{AmountMinor: 1999, Currency: "USD"}) || h.StockAvailable != 10 || *h.StartMS != 1_000 || *h.EndMS != 2_000 {
			t.Fatalf("hat card = %+v", h)
		}
		if s.ProductID != shoe.ID || s.ImageURL != nil || s.Price.AmountMinor != 2500 || s.StockAvailable != 5 || s.StartMS != nil || s.EndMS != nil {
			t.Fatalf("shoe card = %+v", s)
		}

		// Reservations count until released; stock changes show at once.
		if _, ok := e.reserve(shoe.SKUs[0].ID, 3); !ok {
			t.Fatal("could not reserve 3 of 5")
		}
		if _, ok := e.reserve(shoe.SKUs[1].ID, 1); !ok {
			t.Fatal("could not reserve 1")
		}
		if _, err := e.svc.SetStock(ctx, merchant, shoe.SKUs[2].ID, 7); err != nil {
			t.Fatal(err)
		}
		available := func() int {
			t.Helper()
			got, err := e.svc.Pins().LinkedProducts(ctx, []string{v2})
			if err != nil {
				t.Fatal(err)
			}
			return got[v2][0].StockAvailable
		}
		if n := available(); n != 1+0+7 {
			t.Fatalf("available with reservations = %d, want 8", n)
		}
		e.release(shoe.SKUs[0].ID, 3, shoe.SKUs[1].ID, 1)
		if n := available(); n != 4+1+7 {
			t.Fatalf("available after the reservations were released = %d, want 12", n)
		}

		// An archived product's pins stay stored but are not shown.
		if err := e.svc.ArchiveProduct(ctx, merchant, shoe.ID); err != nil {
			t.Fatal(err)
		}
		got, err = e.svc.Pins().LinkedProducts(ctx, []string{v1, v2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got[v1]) != 1 || got[v1][0].ProductID != hat.ID || len(got[v2]) != 0 {
			t.Fatalf("after archiving the shoe: %+v", got)
		}
		if rows := e.pinRows(v2); len(rows) != 1 {
			t.Fatalf("archiving removed the pin row: %v", rows)
		}
		// So is a product set back to draft, until it is active again.
		if _, err := e.svc.UpdateProduct(ctx, merchant, hat.ID, catalog.ProductPatch{Status: ptr(catalog.StatusDraft)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.Pins().LinkedProducts(ctx, []string{v1}); len(got[v1]) != 0 {
			t.Fatalf("a draft is shown: %+v", got)
		}
		if _, err := e.svc.UpdateProduct(ctx, merchant, hat.ID, catalog.ProductPatch{Status: ptr(catalog.StatusActive)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.svc.Pins().LinkedProducts(ctx, []string{v1}); len(got[v1]) != 1 {
			t.Fatalf("reactivated product not shown: %+v", got)
		}
	})
}

func TestShowcase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		merchant, ana, bob := e.user("merchant"), e.user("ana"), e.user("bob")
		sh := e.shop(merchant, "Showcase Shop")
		var p []string
		for i := range 6 {
			p = append(p, e.product(merchant, sh.ID, fmt.Sprintf("P%d", i), catalog.StatusActive).ID)
		}
		older, newer := e.video(ana, "ready", 5_000), e.video(ana, "ready", 5_000)
		processing, failed := e.video(ana, "processing", 5_000), e.video(ana, "failed", 0)
		e.mustLink(older, ana, 5_000, pin(p[0]), pin(p[1]), pin(p[2]))
		e.mustLink(newer, ana, 5_000, pin(p[3]), pin(p[0])) // p[0] pinned again, later
		e.mustLink(processing, ana, 5_000, pin(p[4]))
		e.mustLink(failed, ana, 0, pin(p[5]))
		e.mustLink(e.video(bob, "ready", 5_000), bob, 5_000, pin(p[1]), pin(p[5]))

		list := func(creator string, limit int) ([]string, []string) {
			t.Helper()
			var ids, videos []string
			cursor := ""
			for range 10 {
				page, err := e.svc.Showcase(ctx, "", creator, cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) > limit {
					t.Fatalf("page of %d items, limit %d", len(page.Items), limit)
				}
				for _, it := range page.Items {
					if it.Product.Status != catalog.StatusActive || len(it.Product.SKUs) == 0 || it.PinnedAt.IsZero() {
						t.Fatalf("item %+v", it)
					}
					ids, videos = append(ids, it.Product.ID), append(videos, it.VideoID)
				}
				if cursor = page.NextCursor; cursor == "" {
					return ids, videos
				}
			}
			t.Fatal("the showcase does not end")
			return nil, nil
		}
		// Newest pin first, so the newer video's products come first; pins
		// made by one request are in the creator's order. p[0] counts from
		// its newer pin only.
		wantIDs := []string{p[3], p[0], p[1], p[2]}
		wantVideos := []string{newer, newer, older, older}
		for _, limit := range []int{1, 2, 3, 100} {
			ids, videos := list(ana, limit)
			if !slices.Equal(ids, wantIDs) || !slices.Equal(videos, wantVideos) {
				t.Fatalf("limit %d: showcase %v from %v, want %v from %v", limit, ids, videos, wantIDs, wantVideos)
			}
		}
		if ids, _ := list(bob, 10); len(ids) != 2 {
			t.Fatalf("bob's showcase %v", ids)
		}

		// The processing video joins once it is ready; archiving leaves out a product.
		if _, err := d.Exec(`UPDATE videos SET status = 'ready' WHERE id = $1`, processing); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ArchiveProduct(ctx, merchant, p[3]); err != nil {
			t.Fatal(err)
		}
		if ids, _ := list(ana, 2); !slices.Equal(ids, []string{p[4], p[0], p[1], p[2]}) {
			t.Fatalf("after ready and archive: %v", ids)
		}
		if ids, _ := list(e.user("nobody"), 5); len(ids) != 0 {
			t.Fatalf("empty showcase: %v", ids)
		}
		for _, bad := range []struct {
			cursor string
			limit  int
			field  string
		}{{"zzz", 0, "cursor"}, {"", 101, "limit"}, {"", -1, "limit"}} {
			if _, err := e.svc.Showcase(ctx, "", ana, bad.cursor, bad.limit); code(err) != "validation_failed" || fields(err)[0] != bad.field {
				t.Errorf("cursor %q limit %d: %v", bad.cursor, bad.limit, err)
			}
		}
	})
}
