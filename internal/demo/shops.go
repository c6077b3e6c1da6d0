package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/reelmart/reelmart/catalog"
)

// shopsAndProducts makes sure every demo shop that include names exists
// with its products, their SKUs and pictures. A product is found by its
// title in its shop.
func (s *Seeder) shopsAndProducts(ctx context.Context, include func(shop string) bool) error {
	for _, c := range creators {
		if c.Shop == nil || !include(c.Shop.Name) {
			continue
		}
		owner := s.users[c.Handle]
		shopID, created, err := s.shop(ctx, owner, *c.Shop)
		if err != nil {
			return err
		}
		s.shops[c.Shop.Name] = shopID
		s.step(created, "shop %q", c.Shop.Name)

		existing, err := s.shopProducts(ctx, owner, shopID)
		if err != nil {
			return err
		}
		for _, p := range c.Shop.Products {
			prod, ok := existing[p.Title]
			if !ok {
				if prod, err = s.d.Catalog.CreateProduct(ctx, owner, productInput(shopID, p)); err != nil {
					return fmt.Errorf("demo: product %q: %w", p.Title, err)
				}
			}
			added, err := s.pictures(ctx, owner, prod, p)
			if err != nil {
				return err
			}
			s.products[c.Shop.Name+"/"+p.Title] = prod
			s.step(!ok || added, "product %q", p.Title)
		}
	}
	return nil
}

// shop returns the id of the owner's shop named sh.Name, opening it if needed.
func (s *Seeder) shop(ctx context.Context, owner string, sh shop) (string, bool, error) {
	shops, err := s.d.Catalog.ShopsOf(ctx, owner)
	if err != nil {
		return "", false, err
	}
	for _, x := range shops {
		if x.Name == sh.Name {
			return x.ID, false, nil
		}
	}
	made, err := s.d.Catalog.CreateShop(ctx, owner, catalog.ShopInput{Name: sh.Name, Description: sh.Description})
	if errors.Is(err, catalog.ErrShopNameTaken) {
		return "", false, fmt.Errorf("demo: shop %q belongs to someone else; the demo cannot be seeded beside it", sh.Name)
	}
	if err != nil {
		return "", false, fmt.Errorf("demo: shop %q: %w", sh.Name, err)
	}
	return made.ID, true, nil
}

// shopProducts returns the shop's products of every status by title.
func (s *Seeder) shopProducts(ctx context.Context, owner, shopID string) (map[string]catalog.Product, error) {
	out := map[string]catalog.Product{}
	cursor := ""
	for {
		page, err := s.d.Catalog.ShopProducts(ctx, owner, shopID, "", cursor, catalog.MaxLimit)
		if err != nil {
			return nil, fmt.Errorf("demo: products of shop %s: %w", shopID, err)
		}
		for _, p := range page.Items {
			out[p.Title] = p
		}
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

// productInput is p as an active product of shopID with one SKU per
// combination of its option values.
func productInput(shopID string, p product) catalog.ProductInput {
	in := catalog.ProductInput{ShopID: shopID, Title: p.Title, Description: p.Description, CommissionBPS: p.Commission, Status: catalog.StatusActive}
	for i, values := range combinations(p.Options) {
		attrs := map[string]string{}
		codeParts := []string{initials(p.Title)}
		for j, v := range values {
			attrs[p.Options[j].Name] = v
			codeParts = append(codeParts, strings.ToUpper(strings.ReplaceAll(v, " ", "")))
		}
		price := p.Price
		if len(p.Prices) > 0 {
			price = p.Prices[indexOf(p.Options[0].Values, values[0])]
		}
		code := strings.Join(codeParts, "-")
		stock := p.Stock - i%3 // a little variety between variants
		in.SKUs = append(in.SKUs, catalog.SKUInput{Code: &code, Attributes: attrs, Price: &catalog.Money{AmountMinor: price}, Stock: &stock})
	}
	return in
}

// combinations lists every choice of one value per option, in order; no
// options give one empty choice (a product with a single SKU).
func combinations(opts []option) [][]string {
	out := [][]string{{}}
	for _, o := range opts {
		var next [][]string
		for _, prefix := range out {
			for _, v := range o.Values {
				next = append(next, append(append([]string{}, prefix...), v))
			}
		}
		out = next
	}
	return out
}

func initials(title string) string {
	var b strings.Builder
	for _, w := range strings.Fields(title) {
		b.WriteString(strings.ToUpper(w[:1]))
	}
	return b.String()
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return 0
}

// pictures gives a product without pictures one per colour (or one), and
// reports whether it added any.
func (s *Seeder) pictures(ctx context.Context, owner string, prod catalog.Product, p product) (bool, error) {
	if len(prod.Images) > 0 {
		return false, nil
	}
	bodies := []string{""}
	for _, o := range p.Options {
		if o.Name == "color" {
			bodies = o.Values
		}
	}
	for _, name := range bodies {
		body, ok := colorNamed[name]
		if !ok {
			body = rgba(p.Art.Palette[0])
		}
		pic, err := productPicture(p.Art.Shape, p.Art.Palette, body)
		if err != nil {
			return false, err
		}
		if _, err := s.d.Catalog.AddImage(ctx, owner, prod.ID, bytes.NewReader(pic)); err != nil {
			return false, fmt.Errorf("demo: picture of %q: %w", p.Title, err)
		}
	}
	return true, nil
}
