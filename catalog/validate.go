package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
)

// Limits of what a merchant may enter.
const (
	MaxShopName        = 80 // runes
	MaxShopDescription = 2000
	MaxTitle           = 200
	MaxDescription     = 10_000
	MaxCommissionBPS   = 8000
	MaxSKUs            = 100
	MaxSKUCode         = 64
	MaxAttributes      = 20
	MaxAttributeKey    = 40
	MaxAttributeValue  = 100
	MaxPriceMinor      = 100_000_000_000 // a billion dollars: far past any real price, far from overflow
	MaxStock           = 1_000_000_000
)

// problems collects field errors in order.
type problems []reelmart.FieldError

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, reelmart.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p problems) err() error { return reelmart.Invalid(p) }

// checkText returns what is wrong with a trimmed single-line text of at most
// maxRunes, or "". required says whether it may be empty.
func checkText(s string, maxRunes int, required, multiline bool) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	n := utf8.RuneCountInString(s)
	if required && n == 0 {
		return "is required"
	}
	if n > maxRunes {
		return fmt.Sprintf("must be at most %d characters", maxRunes)
	}
	for _, c := range s {
		if unicode.IsControl(c) && !(multiline && (c == '\n' || c == '\t' || c == '\r')) {
			return "may not contain control characters"
		}
	}
	return ""
}

func normShopName(name string) string { return strings.ToLower(name) }

func (in *ShopInput) normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
}

func (in ShopInput) validate() error {
	var p problems
	if msg := checkText(in.Name, MaxShopName, true, false); msg != "" {
		p.add("name", "%s", msg)
	}
	if msg := checkText(in.Description, MaxShopDescription, false, true); msg != "" {
		p.add("description", "%s", msg)
	}
	return p.err()
}

func (s *Service) checkProductFields(p *problems, title, description *string, commission *int) {
	if title != nil {
		*title = strings.TrimSpace(*title)
		if msg := checkText(*title, MaxTitle, true, false); msg != "" {
			p.add("title", "%s", msg)
		}
	}
	if description != nil {
		*description = strings.TrimSpace(*description)
		if msg := checkText(*description, MaxDescription, false, true); msg != "" {
			p.add("description", "%s", msg)
		}
	}
	if commission != nil && (*commission < 0 || *commission > MaxCommissionBPS) {
		p.add("commission_bps", "must be from 0 to %d basis points", MaxCommissionBPS)
	}
}

// checkSKU validates one SKU input at skus[i]. isNew says whether it adds a
// SKU (all fields required) or changes one (only the fields that are set).
func (s *Service) checkSKU(p *problems, i int, k *SKUInput, isNew bool) {
	f := func(name string) string { return fmt.Sprintf("skus[%d].%s", i, name) }
	if k.Code != nil {
		*k.Code = strings.TrimSpace(*k.Code)
		if msg := checkCode(*k.Code); msg != "" {
			p.add(f("code"), "%s", msg)
		}
	} else if isNew {
		p.add(f("code"), "is required")
	}
	if k.Attributes != nil || isNew {
		checkAttributes(p, f("attributes"), k.Attributes)
	}
	if k.Price != nil {
		switch {
		case k.Price.AmountMinor <= 0:
			p.add(f("price"), "must be more than 0 (in minor units, e.g. cents)")
		case k.Price.AmountMinor > MaxPriceMinor:
			p.add(f("price"), "must be at most %d minor units", int64(MaxPriceMinor))
		}
		if k.Price.Currency == "" {
			k.Price.Currency = s.cfg.Currency
		} else if k.Price.Currency != s.cfg.Currency {
			p.add(f("price.currency"), "must be %s, the currency of this marketplace", s.cfg.Currency)
		}
	} else if isNew {
		p.add(f("price"), "is required")
	}
	switch {
	case !isNew && k.Stock != nil:
		p.add(f("stock"), "change the stock of an existing SKU with PUT /skus/{id}/stock")
	case isNew && k.Stock == nil:
		p.add(f("stock"), "is required")
	case isNew:
		checkStock(p, f("stock"), *k.Stock)
	}
}

func checkStock(p *problems, field string, stock int) {
	if stock < 0 || stock > MaxStock {
		p.add(field, "must be from 0 to %d", MaxStock)
	}
}

func checkCode(code string) string {
	if code == "" {
		return "is required"
	}
	if len(code) > MaxSKUCode {
		return fmt.Sprintf("must be at most %d characters", MaxSKUCode)
	}
	for _, c := range code {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return "may use only letters, digits, '-', '_', '.' and '/'"
		}
	}
	return ""
}

func checkAttributes(p *problems, field string, attrs map[string]string) {
	if len(attrs) > MaxAttributes {
		p.add(field, "may have at most %d attributes", MaxAttributes)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[k]
		if msg := checkText(k, MaxAttributeKey, true, false); msg != "" || strings.TrimSpace(k) != k {
			if msg == "" {
				msg = "may not start or end with spaces"
			}
			p.add(field+"."+k, "name %s", msg)
			continue
		}
		if msg := checkText(v, MaxAttributeValue, true, false); msg != "" {
			p.add(field+"."+k, "%s", msg)
		}
	}
}
