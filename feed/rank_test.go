package feed

import (
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func rankOne(t *testing.T, v Viewer, cands ...Candidate) []Scored {
	t.Helper()
	return Ranker{Weights: DefaultWeights, Priors: DefaultPriors}.Rank(v, cands, t0)
}

func position(ranked []Scored, id string) int {
	for i, sc := range ranked {
		if sc.ID == id {
			return i
		}
	}
	return -1
}

// A video liked once in one view must not beat one liked 900 times in
// 1,000: that is what the smoothing is for.
func TestSmoothingTrustsVolume(t *testing.T) {
	lucky := Candidate{ID: "lucky", CreatorID: "a", PublishedAt: t0, Stats: Stats{Views: 1, Likes: 1, Completions: 1, Shares: 1}}
	proven := Candidate{ID: "proven", CreatorID: "b", PublishedAt: t0, Stats: Stats{Views: 1000, Likes: 900, Completions: 900, Shares: 300}}
	got := rankOne(t, Viewer{}, lucky, proven)
	if got[0].ID != "proven" {
		t.Fatalf("order %s, %s: a 1-of-1 video beat a 900-of-1,000 one", got[0].ID, got[1].ID)
	}
	if r := got[1].Rates.Like; math.Abs(r-6.0/101) > 1e-9 {
		t.Errorf("1 like in 1 view smooths to %.4f, want (1+5)/(1+100) = %.4f", r, 6.0/101)
	}
	if r := got[0].Rates.Like; math.Abs(r-905.0/1100) > 1e-9 {
		t.Errorf("900 likes in 1,000 views smooth to %.4f, want 905/1100", r)
	}
	// With no views at all, a rate is its prior mean.
	fresh := rankOne(t, Viewer{}, Candidate{ID: "new", PublishedAt: t0})[0]
	if fresh.Rates.Completion != DefaultPriors.Completion.Mean || fresh.Rates.Like != DefaultPriors.Like.Mean {
		t.Errorf("rates of an unseen video: %+v, want the prior means", fresh.Rates)
	}
}

func TestPartsAddUpAndMeanWhatTheySay(t *testing.T) {
	v := Viewer{
		Hashtags:     map[string]float64{"cooking": 8, "travel": 2},
		Interactions: map[string]float64{"chef": 4},
		Followees:    map[string]bool{"chef": true},
	}
	cooking := Candidate{ID: "c", CreatorID: "chef", Hashtags: []string{"cooking"}, PublishedAt: t0.Add(-48 * time.Hour)}
	other := Candidate{ID: "o", CreatorID: "stranger", Hashtags: []string{"gaming"}, PublishedAt: t0}
	got := rankOne(t, v, cooking, other)
	for _, sc := range got {
		if math.Abs(sc.Parts.Sum()-sc.Score) > 1e-12 {
			t.Errorf("%s: parts %+v add up to %v, score %v", sc.ID, sc.Parts, sc.Parts.Sum(), sc.Score)
		}
	}
	c := got[position(got, "c")]
	if want := 0.30 * 0.9; math.Abs(c.Parts.Interest-want) > 1e-9 {
		t.Errorf("interest of the top tag = %v, want %v", c.Parts.Interest, want)
	}
	if want := 0.15 * (1 - 0.4*0.2); math.Abs(c.Parts.Affinity-want) > 1e-9 {
		t.Errorf("affinity of a followed creator with the most interactions = %v, want %v", c.Parts.Affinity, want)
	}
	if want := 0.20 * 0.5; math.Abs(c.Parts.Freshness-want) > 1e-9 {
		t.Errorf("freshness after one half-life = %v, want %v", c.Parts.Freshness, want)
	}
	o := got[position(got, "o")]
	if o.Parts.Interest != 0 || o.Parts.Affinity != 0 || o.Parts.Freshness != 0.20 {
		t.Errorf("a stranger's fresh video off-profile: %+v", o.Parts)
	}
	if got[0].ID != "c" {
		t.Errorf("the followed creator's #cooking video should lead for a cooking viewer: %v", got[0].ID)
	}
	// An average video sits at one half on every rate.
	avg := rankOne(t, Viewer{}, Candidate{ID: "avg", PublishedAt: t0, HasProducts: true, InStock: true,
		Stats: Stats{Views: 1e6, Completions: 350000, Likes: 50000, Shares: 10000, Purchases: 5000}})[0]
	if math.Abs(avg.Parts.Quality-0.25*0.5) > 1e-3 {
		t.Errorf("an average video's quality = %v, want about %v", avg.Parts.Quality, 0.125)
	}
}

func TestCommerceSignal(t *testing.T) {
	base := Candidate{CreatorID: "x", PublishedAt: t0, Stats: Stats{Views: 100, Likes: 5, Completions: 35}}
	none, inStock, soldOut := base, base, base
	none.ID, inStock.ID, soldOut.ID = "none", "in", "out"
	inStock.HasProducts, inStock.InStock = true, true
	soldOut.HasProducts = true
	got := rankOne(t, Viewer{}, soldOut, none, inStock)
	if got[0].ID != "in" || got[1].ID != "none" || got[2].ID != "out" {
		t.Fatalf("order %s %s %s, want in stock, no products, sold out", got[0].ID, got[1].ID, got[2].ID)
	}
	if got[0].Parts.Commerce != 0.05 || got[2].Parts.Commerce != -0.30 {
		t.Errorf("commerce parts %v and %v, want +0.05 and -0.30", got[0].Parts.Commerce, got[2].Parts.Commerce)
	}
	// Sold out costs more than the whole freshness part: a sold-out video
	// from now ranks below the same video in stock from a week ago.
	old := inStock
	old.ID, old.PublishedAt = "old", t0.Add(-7*24*time.Hour)
	if got := rankOne(t, Viewer{}, soldOut, old); got[0].ID != "old" {
		t.Errorf("a fresh sold-out video outranks a week-old one in stock")
	}
}

func TestSourceNames(t *testing.T) {
	got := (SourceFresh | SourceTrending | SourceServed).Names()
	if len(got) != 3 || got[0] != "fresh" || got[1] != "trending" || got[2] != "served" {
		t.Fatalf("names %v", got)
	}
	if n := Source(0).Names(); n == nil || len(n) != 0 {
		t.Fatalf("no sources: %#v, want an empty list", n)
	}
}
