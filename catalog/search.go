package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
	"github.com/reelmart/reelmart/platform/search"
)

// ErrSearchUnavailable is returned by Search when the search engine fails.
var ErrSearchUnavailable = &reelmart.Error{Kind: reelmart.KindUnavailable, Code: "search_unavailable", Message: "search is unavailable; try again shortly"}

// IndexName is the search index of active products.
const IndexName = "products"

// maxSearchWindow is how deep search pages may go: the engines refuse
// From+Size past 10,000.
const maxSearchWindow = 10_000

// indexSchema is the shape of a product's search document. Text fields are
// matched by the query words, the title weighing most; the rest filter and
// sort. Prices are in minor units.
var indexSchema = search.Schema{Fields: []search.Field{
	{Name: "title", Type: search.Text, Boost: 3},
	{Name: "description", Type: search.Text},
	{Name: "attributes", Type: search.Text},
	{Name: "shop_name", Type: search.Text},
	{Name: "shop_id", Type: search.Keyword},
	{Name: "sku_codes", Type: search.Keyword},
	{Name: "price_min", Type: search.Number},
	{Name: "price_max", Type: search.Number},
	{Name: "in_stock", Type: search.Bool},
	{Name: "created_at", Type: search.Time},
	{Name: "updated_at", Type: search.Time},
}}

// document is the search document of an active product.
func document(p Product) search.Document {
	var values []string
	codes := make([]string, 0, len(p.SKUs))
	seen := map[string]bool{}
	for _, k := range p.SKUs {
		codes = append(codes, k.Code)
		for _, key := range slices.Sorted(maps.Keys(k.Attributes)) {
			if v := k.Attributes[key]; !seen[v] {
				seen[v] = true
				values = append(values, v)
			}
		}
	}
	return search.Document{ID: p.ID, Fields: map[string]any{
		"title":       p.Title,
		"description": p.Description,
		"attributes":  strings.Join(values, " "),
		"shop_name":   p.ShopName,
		"shop_id":     p.ShopID,
		"sku_codes":   codes,
		"price_min":   p.PriceMin.AmountMinor,
		"price_max":   p.PriceMax.AmountMinor,
		"in_stock":    p.InStock,
		"created_at":  p.CreatedAt,
		"updated_at":  p.UpdatedAt,
	}}
}

// ensureIndex creates the products index once per Service (again after it
// was found missing).
func (s *Service) ensureIndex(ctx context.Context) error {
	s.ensureMu.Lock()
	defer s.ensureMu.Unlock()
	if s.ensured {
		return nil
	}
	if err := s.index.Ensure(ctx, IndexName, indexSchema); err != nil {
		return fmt.Errorf("catalog: ensure search index: %w", err)
	}
	s.ensured = true
	return nil
}

func (s *Service) forgetIndex() {
	s.ensureMu.Lock()
	s.ensured = false
	s.ensureMu.Unlock()
}

// withIndex runs fn on an ensured index, ensuring it again once if it
// turns out to be missing (dropped by a Reindex elsewhere).
func (s *Service) withIndex(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		if err := s.ensureIndex(ctx); err != nil {
			return err
		}
		err := fn()
		if errors.Is(err, search.ErrNotFound) && attempt == 0 {
			s.forgetIndex()
			continue
		}
		return err
	}
}

// indexProducts brings the search documents of ids in line with the
// database at once, after a change committed. A failure is logged, not
// returned: the change stands, and the index job its transaction enqueued
// (see searchChanged) writes the same documents, retrying until it
// succeeds.
func (s *Service) indexProducts(ctx context.Context, ids ...string) {
	if err := s.syncIndex(context.WithoutCancel(ctx), ids); err != nil {
		hint := "the index job will retry"
		if s.cfg.Jobs == nil {
			hint = "run reindex to repair"
		}
		s.logf(ctx, "catalog: update search index; "+hint, "products", ids, "err", err)
	}
}

// syncIndex writes the current search documents of ids: active products,
// and a tombstone for the others, each with its search_version.
func (s *Service) syncIndex(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	docs, _, err := s.documents(ctx, ids)
	if err != nil {
		return err
	}
	return s.withIndex(ctx, func() error {
		if err := s.index.Upsert(ctx, IndexName, docs...); err != nil {
			return fmt.Errorf("catalog: index products: %w", err)
		}
		return nil
	})
}

// gone is the version of the tombstone of a product whose row no longer
// exists (its shop was deleted): ids are never reused, so nothing may
// overwrite it.
const gone = math.MaxInt64

// documents returns the search documents of ids, in the order of ids, and
// how many of them are active products. The versions are read before the
// products, so that a document is never older than its version says: a
// change committing in between gives a newer document under an older
// version, which the change's own write then replaces.
func (s *Service) documents(ctx context.Context, ids []string) ([]search.Document, int, error) {
	versions, err := s.searchVersions(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	ps, err := s.loadProducts(ctx, s.db, "", ids)
	if err != nil {
		return nil, 0, err
	}
	loaded := make(map[string]Product, len(ps))
	for _, p := range ps {
		loaded[p.ID] = p
	}
	docs := make([]search.Document, 0, len(ids))
	active := 0
	for _, id := range ids {
		p, ok := loaded[id]
		v, known := versions[id]
		switch {
		case !ok:
			docs = append(docs, search.Document{ID: id, Version: gone, Deleted: true})
		case !known:
			continue // created after the versions were read: its own change writes it
		case p.Status != StatusActive:
			docs = append(docs, search.Document{ID: id, Version: v, Deleted: true})
		default:
			d := document(p)
			d.Version = v
			docs = append(docs, d)
			active++
		}
	}
	return docs, active, nil
}

func (s *Service) searchVersions(ctx context.Context, ids []string) (map[string]int64, error) {
	in, args := inList(ids, 1)
	rows, err := s.db.QueryContext(ctx, `SELECT id, search_version FROM products WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: load search versions: %w", err)
	}
	defer rows.Close()
	out := make(map[string]int64, len(ids))
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, fmt.Errorf("catalog: load search versions: %w", err)
		}
		out[id] = v
	}
	return out, rows.Err()
}

// Reindex rebuilds the search index from the database without downtime:
// it fills a new generation of the index with every product (a tombstone
// for those not on sale, so that a late write cannot bring them back) while
// searches read the old one and changes go to both, then swaps it in. It
// returns how many active products were indexed. On the embedded engine
// only the serving process may run it (see ReindexKind).
func (s *Service) Reindex(ctx context.Context) (int, error) {
	b, err := s.index.Rebuild(ctx, IndexName, indexSchema)
	if err != nil {
		return 0, fmt.Errorf("catalog: rebuild search index: %w", err)
	}
	defer b.Abort(context.WithoutCancel(ctx))
	n, after := 0, ""
	for {
		ids, err := s.productIDs(ctx, `SELECT id FROM products WHERE id > $1 ORDER BY id LIMIT 200`, after)
		if err != nil {
			return n, err
		}
		if len(ids) == 0 {
			break
		}
		docs, active, err := s.documents(ctx, ids)
		if err != nil {
			return n, err
		}
		if err := b.Upsert(ctx, docs...); err != nil {
			return n, fmt.Errorf("catalog: rebuild search index: %w", err)
		}
		n += active
		after = ids[len(ids)-1]
	}
	if err := b.Commit(ctx); err != nil {
		return n, fmt.Errorf("catalog: rebuild search index: %w", err)
	}
	s.forgetIndex()
	return n, nil
}

// SearchQuery asks for active products. Text is matched against title
// (weighing most), description, attribute values and shop name; blank Text
// lists everything, most recently updated first. Prices are in minor units:
// a product matches a price range when its SKUs' price span overlaps it.
type SearchQuery struct {
	Text     string
	InStock  bool   // only products with a SKU in stock
	ShopID   string // only this shop's products
	MinPrice *int64
	MaxPrice *int64
	Cursor   string
	Limit    int
}

// Search finds active products by relevance to q.Text and returns a page of
// them, read from the database, and the total number of matches. It
// returns a validation error naming a bad parameter.
func (s *Service) Search(ctx context.Context, q SearchQuery) (Page[Product], int, error) {
	var p problems
	from, msg := decodeOffset(q.Cursor)
	if msg != "" {
		p.add("cursor", "%s", msg)
	}
	limit := checkLimit(&p, q.Limit)
	if q.MinPrice != nil && *q.MinPrice < 0 {
		p.add("min_price", "must be at least 0")
	}
	if q.MaxPrice != nil && *q.MaxPrice < 0 {
		p.add("max_price", "must be at least 0")
	}
	if q.MinPrice != nil && q.MaxPrice != nil && *q.MinPrice > *q.MaxPrice {
		p.add("max_price", "must be at least min_price")
	}
	if utf8.RuneCountInString(q.Text) > 1000 {
		p.add("q", "must be at most 1000 characters")
	}
	if err := p.err(); err != nil {
		return Page[Product]{}, 0, err
	}
	page := Page[Product]{Items: []Product{}}
	if from >= maxSearchWindow {
		return page, 0, nil
	}
	sq := search.Query{Text: q.Text, From: from, Size: min(limit, maxSearchWindow-from)}
	if q.InStock {
		sq.Filters = append(sq.Filters, search.Filter{Field: "in_stock", Values: []any{true}})
	}
	if q.ShopID != "" {
		sq.Filters = append(sq.Filters, search.Filter{Field: "shop_id", Values: []any{q.ShopID}})
	}
	if q.MaxPrice != nil {
		sq.Filters = append(sq.Filters, search.Filter{Field: "price_min", Max: *q.MaxPrice})
	}
	if q.MinPrice != nil {
		sq.Filters = append(sq.Filters, search.Filter{Field: "price_max", Min: *q.MinPrice})
	}
	if strings.TrimSpace(q.Text) == "" {
		sq.Sort = []search.Sort{{Field: "updated_at", Desc: true}}
	}
	var res search.Result
	err := s.withIndex(ctx, func() error {
		var err error
		res, err = s.index.Search(ctx, IndexName, sq)
		return err
	})
	if errors.Is(err, search.ErrInvalid) {
		return Page[Product]{}, 0, fmt.Errorf("catalog: search products: %w", err) // a bug here, not the client's
	}
	if err != nil {
		s.logf(ctx, "catalog: search products", "err", err)
		return Page[Product]{}, 0, ErrSearchUnavailable
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	ps, err := s.ProductsByID(ctx, "", ids)
	if err != nil {
		return Page[Product]{}, 0, err
	}
	for _, pr := range ps {
		if pr.Status == StatusActive { // the index may lag the database by a moment
			page.Items = append(page.Items, pr)
		}
	}
	if next := from + len(res.Hits); len(res.Hits) > 0 && next < res.Total && next < maxSearchWindow {
		page.NextCursor = encodeOffset(next)
	}
	return page, res.Total, nil
}
