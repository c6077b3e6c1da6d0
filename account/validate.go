package account

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reelmart/reelmart"
)

// Limits of what a person may choose.
const (
	MinPasswordLen   = 10   // runes
	MaxPasswordBytes = 1024 // hashing cost grows with length; nobody types more
	MinHandleLen     = 3
	MaxHandleLen     = 30
	MaxDisplayName   = 50 // runes
	MaxEmailLen      = 254
)

// reservedHandles would read as site paths or staff accounts.
var reservedHandles = map[string]bool{
	"admin": true, "api": true, "me": true, "root": true, "reelmart": true,
	"support": true, "settings": true, "help": true, "login": true, "signup": true,
}

// normalize trims what people paste by accident and lowercases what is compared case-insensitively.
func (r *Registration) normalize() {
	r.Email = strings.TrimSpace(r.Email)
	r.Handle = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(r.Handle), "@"))
	r.DisplayName = strings.TrimSpace(r.DisplayName)
}

func (r Registration) validate() error {
	var errs []reelmart.FieldError
	add := func(field, msg string) { errs = append(errs, reelmart.FieldError{Field: field, Message: msg}) }
	if msg := checkEmail(r.Email); msg != "" {
		add("email", msg)
	}
	if msg := checkPassword(r.Password); msg != "" {
		add("password", msg)
	}
	if msg := checkHandle(r.Handle); msg != "" {
		add("handle", msg)
	}
	if msg := checkDisplayName(r.DisplayName); msg != "" {
		add("display_name", msg)
	}
	return reelmart.Invalid(errs)
}

func checkEmail(email string) string {
	if email == "" {
		return "is required"
	}
	if len(email) > MaxEmailLen {
		return "must be at most 254 characters"
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return "must be an email address like name@example.com"
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || !strings.Contains(email[at+1:], ".") || strings.HasSuffix(email, ".") {
		return "must be an email address like name@example.com"
	}
	return ""
}

func checkPassword(pw string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return "must be at least 10 characters"
	case len(pw) > MaxPasswordBytes:
		return "must be at most 1024 bytes"
	case !utf8.ValidString(pw):
		return "must be valid UTF-8 text"
	}
	return ""
}

func checkHandle(h string) string {
	if len(h) < MinHandleLen || len(h) > MaxHandleLen {
		return "must be 3 to 30 characters"
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return "may use only letters, digits, '_' and '.'"
		}
	}
	if h[0] == '.' || h[len(h)-1] == '.' || strings.Contains(h, "..") {
		return "may not start or end with '.' or have '..'"
	}
	if reservedHandles[h] {
		return "is reserved"
	}
	return ""
}

func checkDisplayName(name string) string {
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return "is required"
	}
	if n > MaxDisplayName {
		return "must be at most 50 characters"
	}
	if !utf8.ValidString(name) {
		return "must be valid UTF-8 text"
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return "may not contain control characters"
		}
	}
	return ""
}
