package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/reelmart/reelmart"
)

// decodeJSON reads exactly one JSON object from r into dst. Every way a body
// can be wrong becomes a *reelmart.Error with a stable code: wrong content
// type (415 unsupported_media_type), too large (413 body_too_large), empty
// (400 empty_body), not JSON or trailing data (400 malformed_json), a value of
// the wrong type (400 invalid_type) or an unknown field (400 unknown_field).
// A string holding U+0000 is malformed too: no field takes one, and
// PostgreSQL cannot store one.
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return reelmart.Errorf(reelmart.KindUnsupportedMedia, "unsupported_media_type", "the body must be application/json, not %q", ct)
		}
	} else if r.ContentLength != 0 {
		return reelmart.Errorf(reelmart.KindUnsupportedMedia, "unsupported_media_type", "set Content-Type: application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if hasNUL(reflect.ValueOf(dst)) {
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_json", "a string in the body contains U+0000 (NUL), which no field accepts")
	}
	// Exactly one value: anything after it but whitespace is an error.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errBodyTooLarge(tooBig.Limit)
		}
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_json", "the body has data after its JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		invalid *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooBig):
		return errBodyTooLarge(tooBig.Limit)
	case errors.Is(err, io.EOF):
		return reelmart.Errorf(reelmart.KindBadRequest, "empty_body", "the request needs a JSON body")
	case errors.As(err, &syntax):
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_json", "the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_json", "the body ends in the middle of a JSON value")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return reelmart.Errorf(reelmart.KindBadRequest, "invalid_type", "the body must be a JSON object, not %s", typ.Value)
		}
		return &reelmart.Error{Kind: reelmart.KindBadRequest, Code: "invalid_type", Message: "a field has the wrong type",
			Fields: []reelmart.FieldError{{Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &reelmart.Error{Kind: reelmart.KindBadRequest, Code: "unknown_field", Message: "the body has a field this endpoint does not take",
			Fields: []reelmart.FieldError{{Field: name, Message: "is not a known field"}}}
	case errors.As(err, &invalid):
		panic(err) // a programming error: dst is not a pointer
	default:
		return reelmart.Errorf(reelmart.KindBadRequest, "malformed_json", "the body could not be read as JSON")
	}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	default:
		return "an object"
	}
}

// hasNUL reports whether a string reachable from v contains U+0000.
func hasNUL(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return strings.IndexByte(v.String(), 0) >= 0
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasNUL(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && hasNUL(v.Field(i)) {
				return true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if hasNUL(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if hasNUL(it.Key()) || hasNUL(it.Value()) {
				return true
			}
		}
	}
	return false
}
