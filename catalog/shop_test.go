package catalog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
)

func TestShops(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana, bo := e.user("ana"), e.user("bo")
		sh, err := e.svc.CreateShop(ctx, ana, catalog.ShopInput{Name: "  Ana's Boutique ", Description: "Hats\nand scarves"})
		if err != nil {
			t.Fatal(err)
		}
		if sh.Name != "Ana's Boutique" || sh.OwnerID != ana || sh.ID == "" {
			t.Fatalf("shop = %+v", sh)
		}
		got, err := e.svc.Shop(ctx, sh.ID)
		if err != nil || got.Name != sh.Name || got.Description != "Hats\nand scarves" || !got.CreatedAt.Equal(sh.CreatedAt) {
			t.Fatalf("Shop = %+v, %v", got, err)
		}
		if _, err := e.svc.CreateShop(ctx, bo, catalog.ShopInput{Name: "ANA'S BOUTIQUE"}); code(err) != "shop_name_taken" {
			t.Fatalf("same name, other case: %v", err)
		}
		if _, err := e.svc.Shop(ctx, "missing"); code(err) != "shop_not_found" {
			t.Fatalf("missing shop: %v", err)
		}

		boShop := e.shop(bo, "Bo's Bikes")
		if _, err := e.svc.UpdateShop(ctx, bo, sh.ID, catalog.ShopPatch{Name: ptr("Stolen")}); code(err) != "not_shop_owner" {
			t.Fatalf("another merchant renames: %v", err)
		}
		if _, err := e.svc.UpdateShop(ctx, ana, boShop.ID, catalog.ShopPatch{Description: ptr("x")}); code(err) != "not_shop_owner" {
			t.Fatalf("ana edits bo's shop: %v", err)
		}
		if _, err := e.svc.UpdateShop(ctx, ana, sh.ID, catalog.ShopPatch{Name: ptr("bo's bikes")}); code(err) != "shop_name_taken" {
			t.Fatalf("rename to a taken name: %v", err)
		}
		up, err := e.svc.UpdateShop(ctx, ana, sh.ID, catalog.ShopPatch{Description: ptr("Only hats")})
		if err != nil || up.Name != "Ana's Boutique" || up.Description != "Only hats" {
			t.Fatalf("update description: %+v, %v", up, err)
		}
		// Changing only the letter case of one's own name is allowed.
		if up, err = e.svc.UpdateShop(ctx, ana, sh.ID, catalog.ShopPatch{Name: ptr("ANA'S BOUTIQUE")}); err != nil || up.Name != "ANA'S BOUTIQUE" {
			t.Fatalf("recase own name: %+v, %v", up, err)
		}
	})
}

func TestShopValidation(t *testing.T) {
	e := newEnv(t, dbtest.Open(t, db.SQLite))
	ana := e.user("ana")
	for _, tc := range []struct {
		in     catalog.ShopInput
		fields []string
	}{
		{catalog.ShopInput{Name: "   "}, []string{"name"}},
		{catalog.ShopInput{Name: strings.Repeat("n", 81)}, []string{"name"}},
		{catalog.ShopInput{Name: "tab\tname"}, []string{"name"}},
		{catalog.ShopInput{Name: "", Description: strings.Repeat("d", 2001)}, []string{"name", "description"}},
	} {
		_, err := e.svc.CreateShop(ctx, ana, tc.in)
		if code(err) != "validation_failed" || !slices.Equal(fields(err), tc.fields) {
			t.Errorf("%+v: err = %v, fields %v; want %v", tc.in, err, fields(err), tc.fields)
		}
	}
	sh := e.shop(ana, "Valid")
	if _, err := e.svc.UpdateShop(ctx, ana, sh.ID, catalog.ShopPatch{Name: ptr("")}); !slices.Equal(fields(err), []string{"name"}) {
		t.Fatalf("blank rename: %v", err)
	}
}

func TestShopProductsPagingAndVisibility(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana, bo := e.user("ana"), e.user("bo")
		sh := e.shop(ana, "Ana")
		var active []string
		for i := 0; i < 5; i++ {
			active = append(active, e.product(ana, sh.ID, "Active "+string(rune('A'+i)), catalog.StatusActive).ID)
		}
		draft := e.product(ana, sh.ID, "Draft", catalog.StatusDraft)
		archived := e.product(ana, sh.ID, "Old", catalog.StatusActive)
		if err := e.svc.ArchiveProduct(ctx, ana, archived.ID); err != nil {
			t.Fatal(err)
		}
		list := func(viewer string, status catalog.Status, limit int) []string {
			t.Helper()
			var ids []string
			cursor := ""
			for pages := 0; ; pages++ {
				page, err := e.svc.ShopProducts(ctx, viewer, sh.ID, status, cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range page.Items {
					ids = append(ids, p.ID)
				}
				if page.NextCursor == "" {
					return ids
				}
				if len(page.Items) != limit || pages > 10 {
					t.Fatalf("page of %d with a next cursor (limit %d)", len(page.Items), limit)
				}
				cursor = page.NextCursor
			}
		}
		newestFirst := slices.Clone(active)
		slices.Reverse(newestFirst)
		for _, viewer := range []string{"", bo} {
			if got := list(viewer, "", 2); !slices.Equal(got, newestFirst) {
				t.Fatalf("viewer %q sees %v, want the active ones %v", viewer, got, newestFirst)
			}
		}
		if got := list(ana, "", 3); len(got) != 7 || got[0] != archived.ID || got[1] != draft.ID {
			t.Fatalf("owner sees %v", got)
		}
		if got := list(ana, catalog.StatusDraft, 10); !slices.Equal(got, []string{draft.ID}) {
			t.Fatalf("owner drafts: %v", got)
		}
		if got := list(ana, catalog.StatusArchived, 10); !slices.Equal(got, []string{archived.ID}) {
			t.Fatalf("owner archived: %v", got)
		}
		if _, err := e.svc.ShopProducts(ctx, bo, sh.ID, catalog.StatusDraft, "", 0); code(err) != "not_shop_owner" {
			t.Fatalf("bo asks for drafts: %v", err)
		}
		if _, err := e.svc.ShopProducts(ctx, "", sh.ID, "", "garbage", 101); !slices.Equal(fields(err), []string{"cursor", "limit"}) {
			t.Fatalf("bad paging: %v", err)
		}
		if _, err := e.svc.ShopProducts(ctx, "", "nope", "", "", 0); code(err) != "shop_not_found" {
			t.Fatalf("missing shop: %v", err)
		}
	})
}

func TestShopsOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ana, bo := e.user("ana"), e.user("bo")
		first, second := e.shop(ana, "Ana One"), e.shop(ana, "Ana Two")
		e.shop(bo, "Bo's")
		shops, err := e.svc.ShopsOf(ctx, ana)
		if err != nil || len(shops) != 2 || shops[0].ID != first.ID || shops[1].ID != second.ID || shops[1].Name != "Ana Two" {
			t.Fatalf("ShopsOf(ana) = %+v, %v", shops, err)
		}
		if shops, err := e.svc.ShopsOf(ctx, "nobody"); err != nil || len(shops) != 0 {
			t.Fatalf("ShopsOf(nobody) = %+v, %v", shops, err)
		}
	})
}
