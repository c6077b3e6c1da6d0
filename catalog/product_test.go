package catalog_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestCreateAndReadProduct(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana, bo := e.user("ana"), e.user("bo")
		sh := e.shop(ana, "Ana")
		p, err := e.svc.CreateProduct(ctx, ana, catalog.ProductInput{
			ShopID: sh.ID, Title: "  Linen shirt ", Description: "Cool\nand light", CommissionBPS: 1200,
			SKUs: []catalog.SKUInput{sku("SH-M", 3500, 4, "size", "M", "color", "white"), sku("SH-L", 3900, 0, "size", "L")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if p.Title != "Linen shirt" || p.Status != catalog.StatusDraft || p.CommissionBPS != 1200 || p.ShopName != "Ana" || len(p.SKUs) != 2 {
			t.Fatalf("created %+v", p)
		}
		if p.PriceMin != (catalog.Money{AmountMinor: 3500, Currency: "USD"}) || p.PriceMax.AmountMinor != 3900 || !p.InStock {
			t.Fatalf("price span / in stock: %+v %+v %v", p.PriceMin, p.PriceMax, p.InStock)
		}
		k := p.SKUs[0]
		if k.Code != "SH-M" || k.Attributes["color"] != "white" || k.Price.Currency != "USD" || k.StockAvailable != 4 || k.Stock == nil || *k.Stock != 4 {
			t.Fatalf("owner's view of sku: %+v", k)
		}
		// A draft is the owner's alone.
		for _, viewer := range []string{"", bo} {
			if _, err := e.svc.Product(ctx, viewer, p.ID); code(err) != "product_not_found" {
				t.Fatalf("draft seen by %q: %v", viewer, err)
			}
		}
		if _, err := e.svc.UpdateProduct(ctx, ana, p.ID, catalog.ProductPatch{Status: ptr(catalog.StatusActive)}); err != nil {
			t.Fatal(err)
		}
		pub, err := e.svc.Product(ctx, "", p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pub.SKUs[0].Stock != nil || pub.SKUs[0].Reserved != nil || pub.SKUs[0].StockAvailable != 4 || pub.Status != catalog.StatusActive {
			t.Fatalf("public view shows stock: %+v", pub.SKUs[0])
		}
		// Archived: still readable, frozen.
		if err := e.svc.ArchiveProduct(ctx, bo, p.ID); code(err) != "not_shop_owner" {
			t.Fatalf("bo archives: %v", err)
		}
		if err := e.svc.ArchiveProduct(ctx, ana, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ArchiveProduct(ctx, ana, p.ID); err != nil {
			t.Fatalf("archive twice: %v", err)
		}
		old, err := e.svc.Product(ctx, bo, p.ID)
		if err != nil || old.Status != catalog.StatusArchived || old.ArchivedAt == nil {
			t.Fatalf("archived product for an old order: %+v, %v", old, err)
		}
		if _, err := e.svc.UpdateProduct(ctx, ana, p.ID, catalog.ProductPatch{Title: ptr("Back")}); code(err) != "product_archived" {
			t.Fatalf("edit archived: %v", err)
		}
		if _, err := e.svc.Product(ctx, ana, "missing"); code(err) != "product_not_found" {
			t.Fatalf("missing: %v", err)
		}
		if err := e.svc.ArchiveProduct(ctx, ana, "missing"); code(err) != "product_not_found" {
			t.Fatalf("archive missing: %v", err)
		}
	})
}

func TestCreateProductRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana, bo := e.user("ana"), e.user("bo")
		sh := e.shop(ana, "Ana")
		valid := func() catalog.ProductInput {
			return catalog.ProductInput{ShopID: sh.ID, Title: "Mug", SKUs: []catalog.SKUInput{sku("A", 100, 1), sku("B", 100, 1), sku("C", 100, 1)}}
		}
		many := make([]catalog.SKUInput, 101)
		for i := range many {
			many[i] = sku("S"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+string(rune('a'+i/26)), 100, 1)
		}
		cases := []struct {
			name   string
			edit   func(*catalog.ProductInput)
			fields []string
		}{
			{"no title", func(p *catalog.ProductInput) { p.Title = " " }, []string{"title"}},
			{"long title", func(p *catalog.ProductInput) { p.Title = strings.Repeat("é", 201) }, []string{"title"}},
			{"long description", func(p *catalog.ProductInput) { p.Description = strings.Repeat("d", 10_001) }, []string{"description"}},
			{"commission high", func(p *catalog.ProductInput) { p.CommissionBPS = 8001 }, []string{"commission_bps"}},
			{"commission negative", func(p *catalog.ProductInput) { p.CommissionBPS = -1 }, []string{"commission_bps"}},
			{"archived on create", func(p *catalog.ProductInput) { p.Status = catalog.StatusArchived }, []string{"status"}},
			{"unknown status", func(p *catalog.ProductInput) { p.Status = "live" }, []string{"status"}},
			{"no skus", func(p *catalog.ProductInput) { p.SKUs = nil }, []string{"skus"}},
			{"101 skus", func(p *catalog.ProductInput) { p.SKUs = many }, []string{"skus"}},
			{"zero price", func(p *catalog.ProductInput) { p.SKUs[2].Price.AmountMinor = 0 }, []string{"skus[2].price"}},
			{"no price", func(p *catalog.ProductInput) { p.SKUs[1].Price = nil }, []string{"skus[1].price"}},
			{"other currency", func(p *catalog.ProductInput) { p.SKUs[0].Price.Currency = "EUR" }, []string{"skus[0].price.currency"}},
			{"negative stock", func(p *catalog.ProductInput) { p.SKUs[1].Stock = ptr(-1) }, []string{"skus[1].stock"}},
			{"no stock", func(p *catalog.ProductInput) { p.SKUs[0].Stock = nil }, []string{"skus[0].stock"}},
			{"duplicate code", func(p *catalog.ProductInput) { p.SKUs[2].Code = ptr("A") }, []string{"skus[2].code"}},
			{"bad code", func(p *catalog.ProductInput) { p.SKUs[0].Code = ptr("has space") }, []string{"skus[0].code"}},
			{"empty attribute", func(p *catalog.ProductInput) { p.SKUs[0].Attributes = map[string]string{"size": ""} }, []string{"skus[0].attributes.size"}},
			{"sku id on create", func(p *catalog.ProductInput) { p.SKUs[0].ID = "x" }, []string{"skus[0].id"}},
			{"missing shop", func(p *catalog.ProductInput) { p.ShopID = "nope" }, []string{"shop_id"}},
			{"several", func(p *catalog.ProductInput) { p.Title = ""; p.SKUs[1].Price.AmountMinor = -5 }, []string{"title", "skus[1].price"}},
		}
		for _, tc := range cases {
			in := valid()
			tc.edit(&in)
			_, err := e.svc.CreateProduct(ctx, ana, in)
			if code(err) != "validation_failed" || !slices.Equal(fields(err), tc.fields) {
				t.Errorf("%s: err = %v, fields %v; want %v", tc.name, err, fields(err), tc.fields)
			}
		}
		if _, err := e.svc.CreateProduct(ctx, bo, valid()); code(err) != "not_shop_owner" {
			t.Fatalf("bo adds to ana's shop: %v", err)
		}
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM products`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rejected products stored: %d, %v", n, err)
		}
		in := valid()
		in.SKUs = many[:100]
		in.CommissionBPS = 8000
		if _, err := e.svc.CreateProduct(ctx, ana, in); err != nil {
			t.Fatalf("100 SKUs at 8000 bps: %v", err)
		}
	})
}

func TestUpdateProduct(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana, bo := e.user("ana"), e.user("bo")
		sh := e.shop(ana, "Ana")
		p := e.product(ana, sh.ID, "Tee", catalog.StatusActive, sku("T-S", 1000, 1, "size", "S"), sku("T-M", 1100, 2, "size", "M"))
		s0, s1 := p.SKUs[0].ID, p.SKUs[1].ID

		if _, err := e.svc.UpdateProduct(ctx, bo, p.ID, catalog.ProductPatch{Title: ptr("Mine")}); code(err) != "not_shop_owner" {
			t.Fatalf("bo edits: %v", err)
		}
		up, err := e.svc.UpdateProduct(ctx, ana, p.ID, catalog.ProductPatch{
			Title: ptr("Organic tee"), CommissionBPS: ptr(0),
			SKUs: []catalog.SKUInput{
				{ID: s0, Code: ptr("T-M"), Price: &catalog.Money{AmountMinor: 900}}, // swap codes with s1
				{ID: s1, Code: ptr("T-S"), Attributes: map[string]string{"size": "M", "fit": "slim"}},
				sku("T-L", 1200, 5, "size", "L"),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if up.Title != "Organic tee" || up.CommissionBPS != 0 || up.Description != p.Description || len(up.SKUs) != 3 {
			t.Fatalf("updated %+v", up)
		}
		a, b, c := up.SKUs[0], up.SKUs[1], up.SKUs[2]
		if a.ID != s0 || a.Code != "T-M" || a.Price.AmountMinor != 900 || a.Attributes["size"] != "S" ||
			b.ID != s1 || b.Code != "T-S" || b.Price.AmountMinor != 1100 || b.Attributes["fit"] != "slim" ||
			c.Code != "T-L" || *c.Stock != 5 {
			t.Fatalf("skus after patch: %+v", up.SKUs)
		}
		if up.PriceMin.AmountMinor != 900 || up.PriceMax.AmountMinor != 1200 {
			t.Fatalf("price span %+v–%+v", up.PriceMin, up.PriceMax)
		}

		cases := []struct {
			name   string
			patch  catalog.ProductPatch
			fields []string
		}{
			{"code clash", catalog.ProductPatch{SKUs: []catalog.SKUInput{{ID: s0, Code: ptr("T-L")}}}, []string{"skus[0].code"}},
			{"new sku clashes", catalog.ProductPatch{SKUs: []catalog.SKUInput{sku("T-S", 1, 1)}}, []string{"skus[0].code"}},
			{"stock via patch", catalog.ProductPatch{SKUs: []catalog.SKUInput{{ID: s0, Stock: ptr(9)}}}, []string{"skus[0].stock"}},
			{"foreign sku", catalog.ProductPatch{SKUs: []catalog.SKUInput{{ID: "other", Price: &catalog.Money{AmountMinor: 5}}}}, []string{"skus[0].id"}},
			{"bad price", catalog.ProductPatch{SKUs: []catalog.SKUInput{{ID: s1}, {ID: s0, Price: &catalog.Money{AmountMinor: 0}}}}, []string{"skus[1].price"}},
			{"bad status", catalog.ProductPatch{Status: ptr(catalog.Status("gone"))}, []string{"status"}},
			{"blank title", catalog.ProductPatch{Title: ptr("")}, []string{"title"}},
			{"commission", catalog.ProductPatch{CommissionBPS: ptr(9000)}, []string{"commission_bps"}},
		}
		for _, tc := range cases {
			_, err := e.svc.UpdateProduct(ctx, ana, p.ID, tc.patch)
			if code(err) != "validation_failed" || !slices.Equal(fields(err), tc.fields) {
				t.Errorf("%s: err = %v, fields %v; want %v", tc.name, err, fields(err), tc.fields)
			}
		}
		if _, err := e.svc.UpdateProduct(ctx, ana, "missing", catalog.ProductPatch{}); code(err) != "product_not_found" {
			t.Fatalf("missing: %v", err)
		}
		// Archiving through PATCH works like DELETE.
		arch, err := e.svc.UpdateProduct(ctx, ana, p.ID, catalog.ProductPatch{Status: ptr(catalog.StatusArchived)})
		if err != nil || arch.Status != catalog.StatusArchived || arch.ArchivedAt == nil {
			t.Fatalf("archive by patch: %+v, %v", arch, err)
		}
	})
}

// Concurrent patches that add SKUs never take a product past 100: each
// patch locks the product row before counting its SKUs.
func TestConcurrentPatchesKeepTheSKULimit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana := e.user("ana")
		sh := e.shop(ana, "Ana")
		var skus []catalog.SKUInput
		for i := range catalog.MaxSKUs - 2 {
			skus = append(skus, sku(fmt.Sprintf("S%03d", i), 100, 1))
		}
		p := e.product(ana, sh.ID, "Many sizes", catalog.StatusActive, skus...)
		var wg sync.WaitGroup
		var mu sync.Mutex
		added := 0
		start := make(chan struct{})
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := e.svc.UpdateProduct(ctx, ana, p.ID, catalog.ProductPatch{SKUs: []catalog.SKUInput{sku(fmt.Sprintf("NEW%d", i), 100, 1)}})
				switch {
				case err == nil:
					mu.Lock()
					added++
					mu.Unlock()
				case !slices.Equal(fields(err), []string{"skus"}):
					t.Errorf("add sku %d: %v", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		var n int
		if err := d.QueryRow(`SELECT COUNT(*) FROM skus WHERE product_id = $1`, p.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != catalog.MaxSKUs || added != 2 {
			t.Fatalf("%d SKUs after %d concurrent adds succeeded; want %d after 2", n, added, catalog.MaxSKUs)
		}
	})
}
