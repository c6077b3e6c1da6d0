package elastic

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/reelmart/reelmart/platform/search"
	"github.com/reelmart/reelmart/platform/search/internal/schema"
)

var decodeSchema = search.Schema{Fields: []search.Field{
	{Name: "caption", Type: search.Text},
	{Name: "creator_id", Type: search.Keyword},
	{Name: "hashtags", Type: search.Keyword},
	{Name: "published_at", Type: search.Time},
	{Name: "in_stock", Type: search.Bool},
	{Name: "views", Type: search.Number},
}}

// msearchAnswer writes an _msearch answer as Elasticsearch does, with n
// searches of hits each, with what filter_path would have dropped left in.
func msearchAnswer(n, hits int) []byte {
	var b strings.Builder
	b.WriteString(`{"took":3,"responses":[`)
	for s := range n {
		if s > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"took":1,"hits":{"total":{"value":%d,"relation":"eq"},"max_score":null,"hits":[`, 1000+s)
		for h := range hits {
			if h > 0 {
				b.WriteByte(',')
			}
			score := "null"
			if h%3 != 0 {
				score = fmt.Sprintf("%g", float64(h)/7)
			}
			fmt.Fprintf(&b, `{"_index":"v.1","_id":"vid-%d-%d","_score":%s,"_source":{"caption":"caf\u00e9 \"%d\" \ud83c\udf5c",`+
				`"creator_id":"c%d","hashtags":["cooking","t%d"],"published_at":"2026-12-0%dT10:%02d:00.123Z",`+
				`"in_stock":%t,"views":%d.5,"unknown":{"x":[1,2]},"empty":null},"sort":[%d,"vid-%d"]}`,
				s, h, score, h, h%50, h%7, 1+h%9, h%60, h%2 == 0, h*13, h, h)
		}
		b.WriteString(`]}}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// stdDecode is the reference: each hit's _source decoded by encoding/json
// into a map, then by the schema.
func stdDecode(c *schema.Schema, raw []byte) ([]search.Result, error) {
	var resp struct {
		Responses []struct {
			Hits struct {
				Total struct {
					Value int `json:"value"`
				} `json:"total"`
				Hits []struct {
					ID     string         `json:"_id"`
					Score  *float64       `json:"_score"`
					Source map[string]any `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, err
	}
	out := make([]search.Result, len(resp.Responses))
	for i, r := range resp.Responses {
		out[i] = search.Result{Total: r.Hits.Total.Value, Hits: []search.Hit{}}
		for _, h := range r.Hits.Hits {
			fields, err := c.Hit(h.Source)
			if err != nil {
				return nil, err
			}
			hit := search.Hit{ID: h.ID, Fields: fields}
			if h.Score != nil {
				hit.Score = *h.Score
			}
			out[i].Hits = append(out[i].Hits, hit)
		}
	}
	return out, nil
}

func gjsonDecode(c *schema.Schema, raw []byte, n int) ([]search.Result, error) {
	resps, err := decodeMulti(raw, n)
	if err != nil {
		return nil, err
	}
	out := make([]search.Result, n)
	for i, r := range resps {
		if out[i], err = decodeSearch(c, r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	c, err := schema.New(decodeSchema)
	if err != nil {
		t.Fatal(err)
	}
	raw := msearchAnswer(3, 40)
	want, err := stdDecode(c, raw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gjsonDecode(c, raw, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded differently from encoding/json:\ngot  %+v\nwant %+v", got[0].Hits[:2], want[0].Hits[:2])
	}
	// Spot checks, so that a shared mistake cannot pass.
	h := got[1].Hits[4]
	if h.ID != "vid-1-4" || h.Score != 4.0/7 || got[1].Total != 1001 {
		t.Errorf("hit = %q score %v total %d", h.ID, h.Score, got[1].Total)
	}
	if h.Fields["caption"] != "café \"4\" 🍜" || !reflect.DeepEqual(h.Fields["hashtags"], []string{"cooking", "t4"}) ||
		h.Fields["views"] != 52.5 || h.Fields["in_stock"] != true ||
		!h.Fields["published_at"].(time.Time).Equal(time.Date(2026, 12, 5, 10, 4, 0, 123e6, time.UTC)) {
		t.Errorf("fields = %#v", h.Fields)
	}
	if _, ok := h.Fields["unknown"]; ok || len(h.Fields) != 6 {
		t.Errorf("fields = %#v; want the six declared ones only", h.Fields)
	}
	if got[0].Hits[0].Score != 0 {
		t.Errorf("a null score decoded as %v", got[0].Hits[0].Score)
	}
}

func TestDecodeRefusesMalformedAnswers(t *testing.T) {
	c, err := schema.New(decodeSchema)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, raw string
		n         int
	}{
		{"not JSON", `{"responses":[{"hits":`, 1},
		{"no responses", `{"took":1}`, 1},
		{"fewer responses", `{"responses":[{"hits":{"hits":[]}}]}`, 2},
		{"hits not an array", `{"responses":[{"hits":{"hits":{"_id":"a"}}}]}`, 1},
		{"hit not an object", `{"responses":[{"hits":{"hits":["a"]}}]}`, 1},
		{"number for a keyword", `{"responses":[{"hits":{"hits":[{"_id":"a","_source":{"creator_id":7}}]}}]}`, 1},
		{"array for a text", `{"responses":[{"hits":{"hits":[{"_id":"a","_source":{"caption":["x"]}}]}}]}`, 1},
		{"bad time", `{"responses":[{"hits":{"hits":[{"_id":"a","_source":{"published_at":"yesterday"}}]}}]}`, 1},
		{"source not an object", `{"responses":[{"hits":{"hits":[{"_id":"a","_source":"x"}]}}]}`, 1},
		{"string for a bool", `{"responses":[{"hits":{"hits":[{"_id":"a","_source":{"in_stock":"true"}}]}}]}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := gjsonDecode(c, []byte(tc.raw), tc.n)
			if err == nil {
				t.Fatalf("decoded %+v; want an error", got)
			}
		})
	}
	// A response's own error is read with its status.
	resps, err := decodeMulti([]byte(`{"responses":[{"error":{"type":"index_not_found_exception","reason":"no such index [x]"},"status":404},{"hits":{"hits":[]}}]}`), 2)
	if err != nil {
		t.Fatal(err)
	}
	ae := responseError(resps[0])
	if ae == nil || ae.Status != 404 || ae.Type != "index_not_found_exception" || responseError(resps[1]) != nil {
		t.Errorf("errors = %+v, %+v", ae, responseError(resps[1]))
	}
	var target *apiError
	if !errors.As(error(ae), &target) {
		t.Error("not an *apiError")
	}
	if r, err := decodeSearch(c, gjson.Parse(`{"hits":{"hits":[]}}`)); err != nil || r.Hits == nil || len(r.Hits) != 0 {
		t.Errorf("empty hits = %+v, %v; want an empty, non-nil list", r, err)
	}
}

// BenchmarkDecodeMulti decodes an _msearch answer the size of a feed
// request's (5 searches, 400 hits), with encoding/json as the baseline.
func BenchmarkDecodeMulti(b *testing.B) {
	c, err := schema.New(decodeSchema)
	if err != nil {
		b.Fatal(err)
	}
	raw := msearchAnswer(5, 80)
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := stdDecode(c, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gjson", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gjsonDecode(c, raw, 5); err != nil {
				b.Fatal(err)
			}
		}
	})
}
