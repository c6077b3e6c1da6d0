package catalog_test

import (
	"slices"
	"testing"
	"time"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/search"
)

func TestSearchBleve(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { testSearch(t, newEnv(t, d)) })
}

func TestSearchElastic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) { testSearch(t, newEnv(t, d, withIndex(elasticIndex(t)))) })
}

// find refreshes the index (Elasticsearch shows writes within its 1 s
// refresh interval; tests do not wait) and returns the ids found for q.
func (e *env) find(q catalog.SearchQuery) ([]string, int) {
	e.t.Helper()
	if err := e.index.Refresh(ctx, catalog.IndexName); err != nil {
		e.t.Fatal(err)
	}
	page, total, err := e.svc.Search(ctx, q)
	if err != nil {
		e.t.Fatal(err)
	}
	ids := []string{}
	for _, p := range page.Items {
		ids = append(ids, p.ID)
	}
	return ids, total
}

func (e *env) findIDs(text string) []string {
	e.t.Helper()
	ids, _ := e.find(catalog.SearchQuery{Text: text})
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func testSearch(t *testing.T, e *env) {
	ana, bo := e.user("ana"), e.user("bo")
	sh := e.shop(ana, "Nordic Outfitters")
	other := e.shop(bo, "Bo Bikes")
	boots := e.product(ana, sh.ID, "Hiking boots", catalog.StatusActive,
		sku("B-40", 12000, 3, "color", "brown"), sku("B-41", 13000, 0, "color", "black"))
	jacket := e.product(ana, sh.ID, "Rain jacket", catalog.StatusActive, sku("J", 8000, 0, "color", "yellow"))
	// "boots" only in the description: ranks below the title match.
	socks := e.product(ana, sh.ID, "Wool socks", catalog.StatusActive, sku("S", 1500, 10))
	if _, err := e.svc.UpdateProduct(ctx, ana, socks.ID, catalog.ProductPatch{Description: ptr("Warm socks for your hiking boots")}); err != nil {
		t.Fatal(err)
	}
	draft := e.product(ana, sh.ID, "Secret boots prototype", catalog.StatusDraft)
	bike := e.product(bo, other.ID, "Gravel bike", catalog.StatusActive, sku("G", 150000, 1, "frame", "steel"))

	if got := e.findIDs("boots"); !slices.Equal(got, []string{boots.ID, socks.ID}) {
		t.Fatalf("boots: got %v, want the title match first, then the description match (draft %s hidden)", got, draft.ID)
	}
	if got := e.findIDs("BOOT"); !slices.Equal(got, []string{boots.ID, socks.ID}) {
		t.Fatalf("stemmed and case-folded: %v", got)
	}
	if got := e.findIDs("yellow"); !slices.Equal(got, []string{jacket.ID}) {
		t.Fatalf("attribute value: %v", got)
	}
	if got := e.findIDs("nordic"); !sameSet(got, []string{boots.ID, jacket.ID, socks.ID}) {
		t.Fatalf("shop name: %v", got)
	}
	if got := e.findIDs("the and of"); len(got) != 0 {
		t.Fatalf("stop words match: %v", got)
	}
	// Filters.
	if got, _ := e.find(catalog.SearchQuery{InStock: true}); !sameSet(got, []string{boots.ID, socks.ID, bike.ID}) {
		t.Fatalf("in stock: %v", got)
	}
	if got, _ := e.find(catalog.SearchQuery{MinPrice: ptr[int64](8000), MaxPrice: ptr[int64](12500)}); !sameSet(got, []string{boots.ID, jacket.ID}) {
		t.Fatalf("price 80–125: %v", got)
	}
	if got, _ := e.find(catalog.SearchQuery{MinPrice: ptr[int64](12500)}); !sameSet(got, []string{boots.ID, bike.ID}) {
		t.Fatalf("price ≥ 125 (boots span 120–130): %v", got)
	}
	if got, _ := e.find(catalog.SearchQuery{Text: "boots", InStock: true, MaxPrice: ptr[int64](2000)}); !slices.Equal(got, []string{socks.ID}) {
		t.Fatalf("text and filters: %v", got)
	}
	if got, _ := e.find(catalog.SearchQuery{ShopID: other.ID}); !slices.Equal(got, []string{bike.ID}) {
		t.Fatalf("shop filter: %v", got)
	}
	// Paging through everything, most recently updated first.
	var all []string
	cursor := ""
	for i := 0; i < 10; i++ {
		if err := e.index.Refresh(ctx, catalog.IndexName); err != nil {
			t.Fatal(err)
		}
		page, total, err := e.svc.Search(ctx, catalog.SearchQuery{Limit: 2, Cursor: cursor})
		if err != nil || total != 4 {
			t.Fatalf("page: total %d, %v", total, err)
		}
		for _, p := range page.Items {
			all = append(all, p.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(all, []string{bike.ID, socks.ID, jacket.ID, boots.ID}) {
		t.Fatalf("blank query pages: %v", all)
	}
	if _, _, err := e.svc.Search(ctx, catalog.SearchQuery{Cursor: "x", MinPrice: ptr[int64](5), MaxPrice: ptr[int64](1)}); !slices.Equal(fields(err), []string{"cursor", "max_price"}) {
		t.Fatalf("bad query: %v", err)
	}

	// Changes show up: stock, title, shop name, archive, publish.
	if _, err := e.svc.SetStock(ctx, ana, jacket.SKUs[0].ID, 4); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.find(catalog.SearchQuery{Text: "jacket", InStock: true}); !slices.Equal(got, []string{jacket.ID}) {
		t.Fatalf("restocked jacket not in stock: %v", got)
	}
	if _, err := e.svc.UpdateProduct(ctx, ana, jacket.ID, catalog.ProductPatch{Title: ptr("Storm parka"), Description: ptr("Keeps you dry")}); err != nil {
		t.Fatal(err)
	}
	if got := e.findIDs("jacket"); len(got) != 0 {
		t.Fatalf("old title still found: %v", got)
	}
	if got := e.findIDs("parka"); !slices.Equal(got, []string{jacket.ID}) {
		t.Fatalf("new title: %v", got)
	}
	if _, err := e.svc.UpdateShop(ctx, ana, sh.ID, catalog.ShopPatch{Name: ptr("Fjord Supply")}); err != nil {
		t.Fatal(err)
	}
	if got := e.findIDs("fjord"); len(got) != 3 {
		t.Fatalf("renamed shop: %v", got)
	}
	if err := e.svc.ArchiveProduct(ctx, ana, boots.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateProduct(ctx, ana, draft.ID, catalog.ProductPatch{Status: ptr(catalog.StatusActive)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateProduct(ctx, ana, socks.ID, catalog.ProductPatch{Status: ptr(catalog.StatusDraft)}); err != nil {
		t.Fatal(err)
	}
	if got := e.findIDs("boots"); !slices.Equal(got, []string{draft.ID}) {
		t.Fatalf("after archive/publish/unpublish: %v", got)
	}

	// Reindex rebuilds from the database, dropping strays.
	if err := e.index.Upsert(ctx, catalog.IndexName, search.Document{ID: "stray", Fields: map[string]any{"title": "boots"}}); err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.Reindex(ctx)
	if err != nil || n != 3 {
		t.Fatalf("reindex: %d, %v", n, err)
	}
	if got, total := e.find(catalog.SearchQuery{}); total != 3 || !sameSet(got, []string{draft.ID, jacket.ID, bike.ID}) {
		t.Fatalf("after reindex: %v (%d)", got, total)
	}
	// Writes after a drop elsewhere recreate the index.
	if err := e.index.Drop(ctx, catalog.IndexName); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetStock(ctx, bo, bike.SKUs[0].ID, 2); err != nil {
		t.Fatal(err)
	}
	if got := e.findIDs("gravel"); !slices.Equal(got, []string{bike.ID}) {
		t.Fatalf("after the index was dropped: %v", got)
	}
}

// Without any Refresh, a change is searchable on Elasticsearch within 2 s
// (its refresh interval is 1 s); Bleve is read-your-writes.
func TestSearchVisibleWithinTwoSeconds(t *testing.T) {
	for name, ix := range map[string]func(*testing.T) search.Index{"bleve": bleveIndex, "elastic": elasticIndex} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, dbtest.Open(t, db.SQLite), withIndex(ix(t)))
			ana := e.user("ana")
			sh := e.shop(ana, "Ana")
			seen := func(text string, want int) time.Duration {
				t.Helper()
				start := time.Now()
				for {
					page, _, err := e.svc.Search(ctx, catalog.SearchQuery{Text: text})
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Items) == want {
						return time.Since(start)
					}
					if time.Since(start) > 2*time.Second {
						t.Fatalf("%q: %d results after 2 s, want %d", text, len(page.Items), want)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			p := e.product(ana, sh.ID, "Teapot", catalog.StatusActive)
			t.Logf("created: visible after %s", seen("teapot", 1))
			if err := e.svc.ArchiveProduct(ctx, ana, p.ID); err != nil {
				t.Fatal(err)
			}
			t.Logf("archived: gone after %s", seen("teapot", 0))
		})
	}
}
