package media

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
)

// Limits of what a creator may write on a video.
const (
	MaxCaption    = 2200 // runes
	MaxHashtags   = 30
	MaxHashtagLen = 100 // runes, without '#'
	MaxProducts   = 10
)

// normalize trims the caption and turns each hashtag into its stored form:
// lowercase, without '#', duplicates dropped.
func (in *NewVideo) normalize() {
	in.UploadID = strings.TrimSpace(in.UploadID)
	in.Caption = strings.TrimSpace(in.Caption)
}

func (in NewVideo) validate() ([]string, error) {
	var errs []reelmart.FieldError
	add := func(field, msg string) { errs = append(errs, reelmart.FieldError{Field: field, Message: msg}) }
	if in.UploadID == "" {
		add("upload_id", "is required")
	}
	if msg := checkCaption(in.Caption); msg != "" {
		add("caption", msg)
	}
	tags, tagErrs := normalizeHashtags(in.Hashtags)
	errs = append(errs, tagErrs...)
	errs = append(errs, checkLinks(in.Products)...)
	return tags, reelmart.Invalid(errs)
}

func checkCaption(c string) string {
	switch {
	case !utf8.ValidString(c):
		return "must be valid UTF-8 text"
	case utf8.RuneCountInString(c) > MaxCaption:
		return fmt.Sprintf("must be at most %d characters", MaxCaption)
	}
	return ""
}

// normalizeHashtags returns the stored form of tags, or field errors
// ("hashtags[3]") for those that break the rules.
func normalizeHashtags(tags []string) ([]string, []reelmart.FieldError) {
	var errs []reelmart.FieldError
	if len(tags) > MaxHashtags {
		return nil, []reelmart.FieldError{{Field: "hashtags", Message: fmt.Sprintf("may have at most %d hashtags", MaxHashtags)}}
	}
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for i, t := range tags {
		t = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))
		if msg := checkHashtag(t); msg != "" {
			errs = append(errs, reelmart.FieldError{Field: fmt.Sprintf("hashtags[%d]", i), Message: msg})
			continue
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, errs
}

func checkHashtag(t string) string {
	n := utf8.RuneCountInString(t)
	if n == 0 || n > MaxHashtagLen {
		return fmt.Sprintf("must be 1 to %d letters, digits or '_' after an optional '#'", MaxHashtagLen)
	}
	for _, c := range t {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != '_' {
			return "may use only letters, digits and '_'"
		}
	}
	return ""
}

func checkLinks(links []ProductLink) []reelmart.FieldError {
	if len(links) > MaxProducts {
		return []reelmart.FieldError{{Field: "products", Message: fmt.Sprintf("may link at most %d products", MaxProducts)}}
	}
	var errs []reelmart.FieldError
	for i, l := range links {
		f := func(name string) string { return fmt.Sprintf("products[%d].%s", i, name) }
		if strings.TrimSpace(l.ProductID) == "" {
			errs = append(errs, reelmart.FieldError{Field: f("product_id"), Message: "is required"})
		}
		if !l.HasSpan() {
			continue // the whole video
		}
		if l.StartMS < 0 {
			errs = append(errs, reelmart.FieldError{Field: f("start_ms"), Message: "must not be negative"})
		}
		if l.EndMS <= l.StartMS {
			errs = append(errs, reelmart.FieldError{Field: f("end_ms"), Message: "must be after start_ms (leave both out to pin the whole video)"})
		}
	}
	return errs
}
