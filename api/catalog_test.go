package api_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelmart/reelmart/api"
	"github.com/reelmart/reelmart/catalog"
	"github.com/reelmart/reelmart/platform/db"
	"github.com/reelmart/reelmart/platform/db/dbtest"
	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/elastic/elastictest"
)

// catalogHarness is the API with a catalog on real engines: the database
// given, images on local disk, products in a Bleve index unless ix is set.
type catalogHarness struct {
	*harness
	catalog *catalog.Service
	index   search.Index
}

func newCatalogHarness(t *testing.T, d *db.DB, ix search.Index) *catalogHarness {
	t.Helper()
	c := &clock{t: time.Now().UTC()}
	accounts := testAccounts(d, c.now)
	blobs, b := localEngines(t)
	if ix == nil {
		ix = b
	}
	svc := catalog.NewService(d, blobs, ix, catalog.Config{Currency: "USD"}, c.now)
	checks := []api.Check{{Name: "database", Ping: d.PingContext}}
	// The JSON limit is small here, to show that image uploads have their own.
	srv := api.New(api.Deps{Accounts: accounts, Catalog: svc, Checks: checks, MaxBodyBytes: 64 << 10})
	return &catalogHarness{harness: &harness{t: t, db: d, srv: srv, clock: c, checks: checks}, catalog: svc, index: ix}
}

type shopJSON struct {
	ID      string `json:"id"`
	OwnerID string `json:"owner_id"`
	Name    string `json:"name"`
}

type skuJSON struct {
	ID             string            `json:"id"`
	Code           string            `json:"code"`
	Attributes     map[string]string `json:"attributes"`
	Price          catalog.Money     `json:"price"`
	Stock          *int              `json:"stock"`
	Reserved       *int              `json:"reserved"`
	StockAvailable int               `json:"stock_available"`
}

type imageJSON struct {
	ID          string `json:"id"`
	Position    int    `json:"position"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	URL         string `json:"url"`
	OriginalURL string `json:"original_url"`
}

type productJSON struct {
	ID       string        `json:"id"`
	ShopID   string        `json:"shop_id"`
	Title    string        `json:"title"`
	Status   string        `json:"status"`
	PriceMin catalog.Money `json:"price_min"`
	InStock  bool          `json:"in_stock"`
	SKUs     []skuJSON     `json:"skus"`
	Images   []imageJSON   `json:"images"`
}

type productPage struct {
	Items      []productJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
	Total      int           `json:"total"`
}

func (h *catalogHarness) createShop(token, name string) shopJSON {
	h.t.Helper()
	r := h.do(req{method: "POST", path: "/api/v1/shops", token: token, body: map[string]string{"name": name, "description": "We sell " + name}})
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("create shop: %d %s", r.StatusCode, r.body)
	}
	var s shopJSON
	r.json(&s)
	return s
}

func productBody(shopID, title, status string) map[string]any {
	return map[string]any{
		"shop_id": shopID, "title": title, "description": "All about " + title, "commission_bps": 1000, "status": status,
		"skus": []map[string]any{
			{"code": "S", "attributes": map[string]string{"size": "S"}, "price": map[string]any{"amount_minor": 2500, "currency": "USD"}, "stock": 3},
			{"code": "M", "attributes": map[string]string{"size": "M"}, "price": map[string]any{"amount_minor": 2700}, "stock": 0},
		},
	}
}

func (h *catalogHarness) createProduct(token, shopID, title, status string) productJSON {
	h.t.Helper()
	r := h.do(req{method: "POST", path: "/api/v1/products", token: token, body: productBody(shopID, title, status)})
	if r.StatusCode != http.StatusCreated {
		h.t.Fatalf("create product: %d %s", r.StatusCode, r.body)
	}
	var p productJSON
	r.json(&p)
	return p
}

func (h *catalogHarness) getProduct(token, id string) (*response, productJSON) {
	h.t.Helper()
	r := h.do(req{method: "GET", path: "/api/v1/products/" + id, token: token})
	var p productJSON
	if r.StatusCode == 200 {
		r.json(&p)
	}
	return r, p
}

// expectProblem checks status and code of a problem+json answer.
func expectProblem(t *testing.T, r *response, status int, code string) problemDoc {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: %d %s, want %d %s", r.Request.Method, r.Request.URL, r.StatusCode, r.body, status, code)
	}
	p := r.problem(t)
	if p.Code != code {
		t.Fatalf("%s %s: code %s, want %s (%s)", r.Request.Method, r.Request.URL, p.Code, code, r.body)
	}
	return p
}

func TestCatalogJourneyHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCatalogHarness(t, d, nil)
		ana, bo := h.register("ana"), h.register("bob")
		shop := h.createShop(ana.Token, "Ana's Atelier")
		if shop.OwnerID != ana.User.ID {
			t.Fatalf("shop owner %s", shop.OwnerID)
		}
		r := h.do(req{method: "POST", path: "/api/v1/shops", token: bo.Token, body: map[string]string{"name": "ANA'S ATELIER"}})
		expectProblem(t, r, 409, "shop_name_taken")
		if r := h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID}); r.StatusCode != 200 {
			t.Fatalf("public shop: %d", r.StatusCode)
		}
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/shops/nope"}), 404, "shop_not_found")
		r = h.do(req{method: "PATCH", path: "/api/v1/shops/" + shop.ID, token: ana.Token, body: map[string]string{"description": "Handmade"}})
		if r.StatusCode != 200 || !strings.Contains(string(r.body), `"description":"Handmade"`) {
			t.Fatalf("patch shop: %d %s", r.StatusCode, r.body)
		}

		draft := h.createProduct(ana.Token, shop.ID, "Silk scarf", "")
		if draft.Status != "draft" || len(draft.SKUs) != 2 || draft.SKUs[0].Stock == nil || *draft.SKUs[0].Stock != 3 ||
			draft.SKUs[1].Price != (catalog.Money{AmountMinor: 2700, Currency: "USD"}) {
			t.Fatalf("created %+v", draft)
		}
		for _, tok := range []string{"", bo.Token} {
			r, _ := h.getProduct(tok, draft.ID)
			expectProblem(t, r, 404, "product_not_found")
		}
		r = h.do(req{method: "PATCH", path: "/api/v1/products/" + draft.ID, token: ana.Token, body: map[string]any{
			"status": "active",
			"skus":   []map[string]any{{"id": draft.SKUs[1].ID, "price": map[string]any{"amount_minor": 2600}}, {"code": "L", "price": map[string]any{"amount_minor": 2900}, "stock": 1}},
		}})
		if r.StatusCode != 200 {
			t.Fatalf("activate: %d %s", r.StatusCode, r.body)
		}
		_, pub := h.getProduct("", draft.ID)
		if pub.Status != "active" || len(pub.SKUs) != 3 || pub.SKUs[0].Stock != nil || pub.SKUs[0].StockAvailable != 3 || pub.SKUs[1].Price.AmountMinor != 2600 {
			t.Fatalf("public product %+v", pub)
		}

		// Stock: what unpaid orders hold lowers what is available; stock
		// cannot go below it. (Checkout reserves inside its placement
		// statement; here the count is set as it would leave it.)
		skuID := pub.SKUs[0].ID
		if _, err := d.ExecContext(t.Context(), `UPDATE skus SET reserved = reserved + 2 WHERE id = $1`, skuID); err != nil {
			t.Fatal(err)
		}
		if _, p := h.getProduct("", draft.ID); p.SKUs[0].StockAvailable != 1 {
			t.Fatalf("available after a reservation of 2: %+v", p.SKUs[0])
		}
		expectProblem(t, h.do(req{method: "PUT", path: "/api/v1/skus/" + skuID + "/stock", token: ana.Token, body: map[string]int{"stock": 1}}), 409, "stock_below_reserved")
		r = h.do(req{method: "PUT", path: "/api/v1/skus/" + skuID + "/stock", token: ana.Token, body: map[string]int{"stock": 7}})
		var k skuJSON
		r.json(&k)
		if r.StatusCode != 200 || *k.Stock != 7 || *k.Reserved != 2 || k.StockAvailable != 5 {
			t.Fatalf("set stock: %d %s", r.StatusCode, r.body)
		}
		p := expectProblem(t, h.do(req{method: "PUT", path: "/api/v1/skus/" + skuID + "/stock", token: ana.Token, body: map[string]int{"stock": -2}}), 422, "validation_failed")
		if len(p.Errors) != 1 || p.Errors[0].Field != "stock" {
			t.Fatalf("negative stock: %+v", p)
		}
		expectProblem(t, h.do(req{method: "PUT", path: "/api/v1/skus/" + skuID + "/stock", token: ana.Token, body: map[string]any{}}), 422, "validation_failed")
		expectProblem(t, h.do(req{method: "PUT", path: "/api/v1/skus/nope/stock", token: ana.Token, body: map[string]int{"stock": 1}}), 404, "sku_not_found")
		r = h.do(req{method: "GET", path: "/api/v1/skus/" + skuID + "/stock_changes", token: ana.Token})
		if r.StatusCode != 200 || strings.Count(string(r.body), `"changed_by":"`+ana.User.ID+`"`) != 2 {
			t.Fatalf("stock changes: %d %s", r.StatusCode, r.body)
		}

		// Listing: public sees active only; the owner filters by status.
		h.createProduct(ana.Token, shop.ID, "Wool hat", "draft")
		var page productPage
		h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID + "/products"}).json(&page)
		if len(page.Items) != 1 || page.Items[0].ID != draft.ID || page.NextCursor != nil {
			t.Fatalf("public listing: %+v", page)
		}
		h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID + "/products?status=draft", token: ana.Token}).json(&page)
		if len(page.Items) != 1 || page.Items[0].Title != "Wool hat" {
			t.Fatalf("owner's drafts: %+v", page)
		}
		h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID + "/products?limit=1", token: ana.Token}).json(&page)
		if len(page.Items) != 1 || page.NextCursor == nil {
			t.Fatalf("first page of 1: %+v", page)
		}
		h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID + "/products?limit=1&cursor=" + *page.NextCursor, token: ana.Token}).json(&page)
		if len(page.Items) != 1 || page.Items[0].ID != draft.ID || page.NextCursor != nil {
			t.Fatalf("second page: %+v", page)
		}
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID + "/products?status=draft", token: bo.Token}), 403, "not_shop_owner")
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID + "/products?limit=abc"}), 422, "validation_failed")

		// Archive: 204, still readable, gone from the shop listing, frozen.
		if r := h.do(req{method: "DELETE", path: "/api/v1/products/" + draft.ID, token: ana.Token}); r.StatusCode != 204 {
			t.Fatalf("archive: %d %s", r.StatusCode, r.body)
		}
		if r, p := h.getProduct(bo.Token, draft.ID); r.StatusCode != 200 || p.Status != "archived" {
			t.Fatalf("archived product: %d %s", r.StatusCode, r.body)
		}
		h.do(req{method: "GET", path: "/api/v1/shops/" + shop.ID + "/products"}).json(&page)
		if len(page.Items) != 0 {
			t.Fatalf("archived product listed: %+v", page)
		}
		expectProblem(t, h.do(req{method: "PATCH", path: "/api/v1/products/" + draft.ID, token: ana.Token, body: map[string]string{"title": "x"}}), 409, "product_archived")
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/products/nope"}), 404, "product_not_found")
	})
}

// Every write refuses anonymous callers (401), another merchant and a
// shopper with no shop (403), and changes nothing.
func TestCatalogAuthorizationHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCatalogHarness(t, d, nil)
		ana, bo, cy := h.register("ana"), h.register("bob"), h.register("cyd")
		shop := h.createShop(ana.Token, "Ana")
		h.createShop(bo.Token, "Bo") // bo is a merchant too, just not of ana's shop
		p := h.createProduct(ana.Token, shop.ID, "Vase", "active")
		im := h.uploadImage(ana.Token, p.ID, catPNG(t, 40, 30))
		before := h.snapshot(p.ID)

		writes := []struct {
			method, path string
			body         any
			image        bool
		}{
			{"PATCH", "/api/v1/shops/" + shop.ID, map[string]string{"name": "Mine now"}, false},
			{"POST", "/api/v1/products", productBody(shop.ID, "Intruder", "active"), false},
			{"PATCH", "/api/v1/products/" + p.ID, map[string]string{"title": "Mine now"}, false},
			{"DELETE", "/api/v1/products/" + p.ID, nil, false},
			{"POST", "/api/v1/products/" + p.ID + "/images", nil, true},
			{"PUT", "/api/v1/products/" + p.ID + "/images", map[string][]string{"image_ids": {im.ID}}, false},
			{"DELETE", "/api/v1/products/" + p.ID + "/images/" + im.ID, nil, false},
			{"PUT", "/api/v1/skus/" + p.SKUs[0].ID + "/stock", map[string]int{"stock": 0}, false},
			{"GET", "/api/v1/skus/" + p.SKUs[0].ID + "/stock_changes", nil, false},
		}
		names := strings.NewReplacer(shop.ID, "{shop}", p.ID, "{product}", im.ID, "{image}", p.SKUs[0].ID, "{sku}")
		for _, w := range writes {
			for _, who := range []struct {
				name, token, code string
				status            int
			}{
				{"anonymous", "", "auth_required", 401},
				{"another merchant", bo.Token, "not_shop_owner", 403},
				{"a shopper", cy.Token, "not_shop_owner", 403},
			} {
				t.Run(w.method+" "+names.Replace(w.path)+" as "+who.name, func(t *testing.T) {
					var r *response
					if w.image {
						r = h.postImage(who.token, p.ID, catPNG(t, 10, 10))
					} else {
						r = h.do(req{method: w.method, path: w.path, token: who.token, body: w.body})
					}
					expectProblem(t, r, who.status, who.code)
				})
			}
		}
		expectProblem(t, h.do(req{method: "POST", path: "/api/v1/shops", body: map[string]string{"name": "Anon"}}), 401, "auth_required")
		if after := h.snapshot(p.ID); after != before {
			t.Fatalf("refused writes changed the catalog:\n%s\n%s", before, after)
		}
	})
}

// snapshot is the catalog's state as its owner sees it, to show refused writes changed nothing.
func (h *catalogHarness) snapshot(productID string) string {
	h.t.Helper()
	var b strings.Builder
	for _, table := range []string{"shops", "products", "skus", "product_images", "stock_changes"} {
		fmt.Fprintf(&b, "%s=%d ", table, h.count(table))
	}
	var title, name string
	var stock int
	if err := h.db.QueryRow(`SELECT p.title, s.name, (SELECT SUM(stock) FROM skus WHERE product_id = p.id) FROM products p JOIN shops s ON s.id = p.shop_id
		WHERE p.id = $1`, productID).Scan(&title, &name, &stock); err != nil {
		h.t.Fatal(err)
	}
	fmt.Fprintf(&b, "title=%s shop=%s stock=%d", title, name, stock)
	return b.String()
}

func TestProductValidationHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCatalogHarness(t, d, nil)
		ana := h.register("ana")
		shop := h.createShop(ana.Token, "Ana")
		body := productBody(shop.ID, strings.Repeat("t", 201), "active")
		body["commission_bps"] = 8001
		skus := body["skus"].([]map[string]any)
		skus = append(skus, map[string]any{"code": "S", "price": map[string]any{"amount_minor": 0}, "stock": -1})
		body["skus"] = skus
		p := expectProblem(t, h.do(req{method: "POST", path: "/api/v1/products", token: ana.Token, body: body}), 422, "validation_failed")
		var got []string
		for _, e := range p.Errors {
			if e.Message == "" {
				t.Errorf("no message for %s", e.Field)
			}
			got = append(got, e.Field)
		}
		if want := []string{"title", "commission_bps", "skus[2].price", "skus[2].stock", "skus[2].code"}; !slices.Equal(got, want) {
			t.Fatalf("fields %v, want %v", got, want)
		}
		p = expectProblem(t, h.do(req{method: "POST", path: "/api/v1/shops", token: ana.Token, body: map[string]string{"name": ""}}), 422, "validation_failed")
		if len(p.Errors) != 1 || p.Errors[0].Field != "name" {
			t.Fatalf("shop without name: %+v", p)
		}
		bad := productBody(shop.ID, "Ok", "active")
		bad["skus"] = []map[string]any{{"code": "A", "price": 100, "stock": 1}}
		expectProblem(t, h.do(req{method: "POST", path: "/api/v1/products", token: ana.Token, body: bad}), 400, "invalid_type")
		bad["skus"] = []map[string]any{{"code": "A", "price": map[string]any{"amount_minor": 1}, "stock": 1, "colour": "red"}}
		expectProblem(t, h.do(req{method: "POST", path: "/api/v1/products", token: ana.Token, body: bad}), 400, "unknown_field")
		bad["skus"] = []map[string]any{{"code": "A", "attributes": map[string]any{"size": 42}, "price": map[string]any{"amount_minor": 1}, "stock": 1}}
		expectProblem(t, h.do(req{method: "POST", path: "/api/v1/products", token: ana.Token, body: bad}), 400, "invalid_type")
		if n := h.count("products"); n != 0 {
			t.Fatalf("invalid products stored: %d", n)
		}
	})
}

// catPNG is a w×h opaque PNG.
func catPNG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(uint64(w), uint64(h))) // noise, so the PNG does not compress to nothing
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8(rnd.IntN(256)), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// multipartImage is a form with the file in the part named field.
func multipartImage(t testing.TB, field, filename string, data []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func (h *catalogHarness) postImage(token, productID string, data []byte) *response {
	h.t.Helper()
	body, ct := multipartImage(h.t, "image", "photo.png", data)
	return h.do(req{method: "POST", path: "/api/v1/products/" + productID + "/images", token: token, body: body, header: map[string]string{"Content-Type": ct}})
}

func (h *catalogHarness) uploadImage(token, productID string, data []byte) imageJSON {
	h.t.Helper()
	r := h.postImage(token, productID, data)
	if r.StatusCode != 201 {
		h.t.Fatalf("upload: %d %s", r.StatusCode, r.body)
	}
	var im imageJSON
	r.json(&im)
	return im
}

func TestProductImagesHTTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		h := newCatalogHarness(t, d, nil)
		ana := h.register("ana")
		shop := h.createShop(ana.Token, "Ana")
		p := h.createProduct(ana.Token, shop.ID, "Print", "draft")

		// Bigger than the 64 KiB JSON limit, well under the image limit.
		big := catPNG(t, 1000, 600)
		if len(big) <= 64<<10 {
			t.Fatalf("test image only %d bytes", len(big))
		}
		im := h.uploadImage(ana.Token, p.ID, big)
		if im.Width != 1000 || im.Height != 600 || im.Position != 0 || !strings.HasPrefix(im.URL, "/api/v1/products/"+p.ID+"/images/"+im.ID) {
			t.Fatalf("image %+v", im)
		}
		second := h.uploadImage(ana.Token, p.ID, catPNG(t, 20, 20))

		// The URLs serve the resized copy and the original to anyone.
		r := h.do(req{method: "GET", path: im.URL})
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("display: %d %v", r.StatusCode, r.Header)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(r.body))
		if err != nil || format != "jpeg" || cfg.Width != 800 || cfg.Height != 480 {
			t.Fatalf("display copy: %s %dx%d %v", format, cfg.Width, cfg.Height, err)
		}
		r = h.do(req{method: "GET", path: im.OriginalURL})
		if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" || !bytes.Equal(r.body, big) {
			t.Fatalf("original: %d %v (%d bytes)", r.StatusCode, r.Header, len(r.body))
		}
		etag := r.Header.Get("ETag")
		if r = h.send(req{method: "GET", path: im.OriginalURL, header: map[string]string{"If-None-Match": etag}}); etag == "" || r.StatusCode != 304 {
			t.Fatalf("revalidation with %q: %d", etag, r.StatusCode)
		}
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/products/" + p.ID + "/images/" + im.ID + "/huge"}), 404, "image_not_found")
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/products/" + p.ID + "/images/nope/display"}), 404, "image_not_found")
		_, own := h.getProduct(ana.Token, p.ID)
		if len(own.Images) != 2 || own.Images[0].URL != im.URL || own.Images[1].ID != second.ID {
			t.Fatalf("product images %+v", own.Images)
		}

		// Bad uploads.
		expectProblem(t, h.postImage(ana.Token, p.ID, []byte("GIF89a but not really")), 422, "invalid_image")
		body, ct := multipartImage(t, "picture", "x.png", catPNG(t, 5, 5))
		pr := expectProblem(t, h.do(req{method: "POST", path: "/api/v1/products/" + p.ID + "/images", token: ana.Token, body: body, header: map[string]string{"Content-Type": ct}}), 422, "validation_failed")
		if pr.Errors[0].Field != "image" {
			t.Fatalf("missing part: %+v", pr)
		}
		expectProblem(t, h.do(req{method: "POST", path: "/api/v1/products/" + p.ID + "/images", token: ana.Token, body: catPNG(t, 5, 5), header: map[string]string{"Content-Type": "image/png"}}), 415, "unsupported_media_type")
		huge := make([]byte, 10<<20+1)
		copy(huge, catPNG(t, 5, 5))
		expectProblem(t, h.postImage(ana.Token, p.ID, huge), 413, "image_too_large")
		// Without a declared length the limit is met while reading.
		body, ct = multipartImage(t, "image", "big.png", huge)
		hr := httptest.NewRequest("POST", "/api/v1/products/"+p.ID+"/images", io.MultiReader(bytes.NewReader(body)))
		hr.Header.Set("Content-Type", ct)
		hr.Header.Set("Authorization", "Bearer "+ana.Token)
		w := httptest.NewRecorder()
		h.srv.ServeHTTP(w, hr)
		if hr.ContentLength > 0 || w.Code != 413 || !strings.Contains(w.Body.String(), `"code":"image_too_large"`) {
			t.Fatalf("undeclared length over the limit: %d %s", w.Code, w.Body)
		}

		// Reorder and delete.
		r = h.do(req{method: "PUT", path: "/api/v1/products/" + p.ID + "/images", token: ana.Token, body: map[string][]string{"image_ids": {second.ID, im.ID}}})
		if r.StatusCode != 200 || strings.Index(string(r.body), second.ID) > strings.Index(string(r.body), im.ID) {
			t.Fatalf("reorder: %d %s", r.StatusCode, r.body)
		}
		expectProblem(t, h.do(req{method: "PUT", path: "/api/v1/products/" + p.ID + "/images", token: ana.Token, body: map[string][]string{"image_ids": {im.ID}}}), 422, "validation_failed")
		if r := h.do(req{method: "DELETE", path: "/api/v1/products/" + p.ID + "/images/" + im.ID, token: ana.Token}); r.StatusCode != 204 {
			t.Fatalf("delete image: %d %s", r.StatusCode, r.body)
		}
		expectProblem(t, h.do(req{method: "GET", path: im.URL}), 404, "image_not_found")
		_, own = h.getProduct(ana.Token, p.ID)
		if len(own.Images) != 1 || own.Images[0].ID != second.ID || own.Images[0].Position != 0 {
			t.Fatalf("after delete %+v", own.Images)
		}
	})
}

func TestProductSearchHTTP(t *testing.T) {
	t.Run("bleve", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, d *db.DB) { testProductSearchHTTP(t, newCatalogHarness(t, d, nil)) })
	})
	t.Run("elastic", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, d *db.DB) {
			testProductSearchHTTP(t, newCatalogHarness(t, d, elastictest.Open(t, "api", catalog.IndexName)))
		})
	})
}

func testProductSearchHTTP(t *testing.T, h *catalogHarness) {
	ana := h.register("ana")
	shop := h.createShop(ana.Token, "Ana")
	scarf := h.createProduct(ana.Token, shop.ID, "Silk scarf", "active")
	hat := h.createProduct(ana.Token, shop.ID, "Wool hat", "active")
	h.createProduct(ana.Token, shop.ID, "Silk gloves prototype", "draft")
	h.do(req{method: "PUT", path: "/api/v1/skus/" + hat.SKUs[0].ID + "/stock", token: ana.Token, body: map[string]int{"stock": 0}})

	find := func(query string) productPage {
		t.Helper()
		if err := h.index.Refresh(t.Context(), catalog.IndexName); err != nil {
			t.Fatal(err)
		}
		r := h.do(req{method: "GET", path: "/api/v1/search?type=products&" + query})
		if r.StatusCode != 200 {
			t.Fatalf("search %s: %d %s", query, r.StatusCode, r.body)
		}
		var page productPage
		r.json(&page)
		return page
	}
	if pg := find("q=silk"); pg.Total != 1 || pg.Items[0].ID != scarf.ID || pg.NextCursor != nil {
		t.Fatalf("silk: %+v", pg)
	}
	if pg := find("q=&in_stock=true"); pg.Total != 1 || pg.Items[0].ID != scarf.ID {
		t.Fatalf("in stock: %+v", pg)
	}
	if pg := find("min_price=2600&max_price=3000"); pg.Total != 2 {
		t.Fatalf("price 26–30 (spans 25–27): %+v", pg)
	}
	if pg := find("max_price=2400"); pg.Total != 0 || len(pg.Items) != 0 {
		t.Fatalf("under every price: %+v", pg)
	}
	pg := find("limit=1")
	if pg.Total != 2 || len(pg.Items) != 1 || pg.NextCursor == nil {
		t.Fatalf("first page: %+v", pg)
	}
	if pg2 := find("limit=1&cursor=" + *pg.NextCursor); len(pg2.Items) != 1 || pg2.Items[0].ID == pg.Items[0].ID || pg2.NextCursor != nil {
		t.Fatalf("second page: %+v", pg2)
	}
	h.do(req{method: "DELETE", path: "/api/v1/products/" + scarf.ID, token: ana.Token})
	if pg := find("q=silk"); pg.Total != 0 {
		t.Fatalf("archived product found: %+v", pg)
	}
	for _, q := range []string{"type=movies", "type=products&in_stock=maybe", "type=products&min_price=x", "type=products&cursor=zzz", "type=products&limit=0"} {
		expectProblem(t, h.do(req{method: "GET", path: "/api/v1/search?" + q}), 422, "validation_failed")
	}
}
