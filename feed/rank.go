package feed

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// Source names the candidate sources that found a video, as bits.
type Source uint8

// The candidate sources.
const (
	SourceFresh Source = 1 << iota
	SourceInterest
	SourceFollowing
	SourceTrending
	SourceExplore
	SourceDatabase // the degraded path's fresh and following sources
	SourceServed   // offered again: served before, least recently first
)

var sourceNames = []struct {
	s    Source
	name string
}{
	{SourceFresh, "fresh"}, {SourceInterest, "interest"}, {SourceFollowing, "following"},
	{SourceTrending, "trending"}, {SourceExplore, "explore"}, {SourceDatabase, "database"}, {SourceServed, "served"},
}

// Names lists the sources in s by name.
func (s Source) Names() []string {
	out := []string{}
	for _, n := range sourceNames {
		if s&n.s != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Candidate is a video the ranker considers: what the index (or, degraded,
// the database) knows of it.
type Candidate struct {
	ID          string
	CreatorID   string
	Hashtags    []string
	PublishedAt time.Time
	HasProducts bool // an active product is pinned
	InStock     bool // a pinned product has stock available
	Stats       Stats
	Sources     Source
}

// Viewer is what the ranker knows of the viewer. Weights may be on any
// positive scale; only their ratio to the largest counts.
type Viewer struct {
	Hashtags     map[string]float64 // interest profile
	Interactions map[string]float64 // creator id → past interactions
	Followees    map[string]bool
}

// Weights weigh the parts of a score. Commerce is not weighted: InStock and
// SoldOut are what a video with pinned products gains or loses.
type Weights struct {
	Interest  float64
	Quality   float64
	Affinity  float64
	Freshness float64
	InStock   float64
	SoldOut   float64 // negative
	// HalfLife is the age at which freshness halves.
	HalfLife time.Duration
}

// DefaultWeights are the weights docs/FEED.md explains.
var DefaultWeights = Weights{
	Interest: 0.30, Quality: 0.25, Affinity: 0.15, Freshness: 0.20,
	InStock: 0.05, SoldOut: -0.30, HalfLife: 48 * time.Hour,
}

// Prior is a Beta prior as a mean and a weight in trials: a rate of s
// successes in n trials is smoothed to (s + Weight·Mean) / (n + Weight).
type Prior struct {
	Mean   float64
	Weight float64
}

// Priors are the priors of the engagement rates, all per view.
type Priors struct {
	Completion Prior
	Like       Prior
	Share      Prior
	Purchase   Prior
}

// DefaultPriors are worth about five successes each, so that a video with
// one view is judged mostly by the prior, and one with a thousand by itself.
var DefaultPriors = Priors{
	Completion: Prior{Mean: 0.35, Weight: 20},
	Like:       Prior{Mean: 0.05, Weight: 100},
	Share:      Prior{Mean: 0.01, Weight: 500},
	Purchase:   Prior{Mean: 0.005, Weight: 1000},
}

// smooth returns the posterior mean rate of successes in trials.
func (p Prior) smooth(successes, trials int64) float64 {
	r := (float64(successes) + p.Weight*p.Mean) / (float64(trials) + p.Weight)
	return min(max(r, 0), 1)
}

// norm maps a rate to [0, 1) with the prior mean at one half, so that
// "average" means the same for rates of very different size.
func (p Prior) norm(rate float64) float64 { return rate / (rate + p.Mean) }

// Parts are the weighted parts of a score; they add up to it.
type Parts struct {
	Interest  float64 `json:"interest"`
	Quality   float64 `json:"quality"`
	Affinity  float64 `json:"affinity"`
	Freshness float64 `json:"freshness"`
	Commerce  float64 `json:"commerce"`
}

// Sum is the score the parts make.
func (p Parts) Sum() float64 { return p.Interest + p.Quality + p.Affinity + p.Freshness + p.Commerce }

// Rates are a video's smoothed engagement rates per view.
type Rates struct {
	Completion float64 `json:"completion"`
	Like       float64 `json:"like"`
	Share      float64 `json:"share"`
	Purchase   float64 `json:"purchase"`
}

// Scored is a ranked candidate.
type Scored struct {
	Candidate
	Score   float64
	Parts   Parts
	Rates   Rates
	Explore bool // placed by an exploration slot, not by score
}

// Ranker scores candidates for a viewer: the same code whichever engine
// found them.
type Ranker struct {
	Weights Weights
	Priors  Priors
}

// Rank scores every candidate for v at time now and returns them best
// first (ties by id, so the order is deterministic).
func (r Ranker) Rank(v Viewer, cands []Candidate, now time.Time) []Scored {
	tagMax, interMax := maxValue(v.Hashtags), maxValue(v.Interactions)
	out := make([]Scored, len(cands))
	for i, c := range cands {
		sc := Scored{Candidate: c}
		sc.Rates = r.rates(c)
		sc.Parts = Parts{
			Interest:  r.Weights.Interest * interest(c.Hashtags, v.Hashtags, tagMax),
			Quality:   r.Weights.Quality * r.quality(sc.Rates, c.HasProducts),
			Affinity:  r.Weights.Affinity * affinity(v.Followees[c.CreatorID], v.Interactions[c.CreatorID], interMax),
			Freshness: r.Weights.Freshness * freshness(now.Sub(c.PublishedAt), r.Weights.HalfLife),
			Commerce:  r.commerce(c),
		}
		sc.Score = sc.Parts.Sum()
		out[i] = sc
	}
	slices.SortFunc(out, byScore)
	return out
}

func byScore(a, b Scored) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

func (r Ranker) rates(c Candidate) Rates {
	s, p := c.Stats, r.Priors
	completions := s.Completions
	if completions == 0 && s.CompletionRate > 0 {
		completions = int64(math.Round(s.CompletionRate * float64(s.Views)))
	}
	return Rates{
		Completion: p.Completion.smooth(completions, s.Views),
		Like:       p.Like.smooth(s.Likes, s.Views),
		Share:      p.Share.smooth(s.Shares, s.Views),
		Purchase:   p.Purchase.smooth(s.Purchases, s.Views),
	}
}

// quality blends the rates, completion weighing most: finishing a short
// video is the strongest sign it was worth the swipe. A video with nothing
// to buy is neutral on purchases.
func (r Ranker) quality(rt Rates, hasProducts bool) float64 {
	p := r.Priors
	purchase := 0.5
	if hasProducts {
		purchase = p.Purchase.norm(rt.Purchase)
	}
	return 0.45*p.Completion.norm(rt.Completion) + 0.30*p.Like.norm(rt.Like) + 0.15*p.Share.norm(rt.Share) + 0.10*purchase
}

func (r Ranker) commerce(c Candidate) float64 {
	switch {
	case !c.HasProducts:
		return 0
	case c.InStock:
		return r.Weights.InStock
	default:
		return r.Weights.SoldOut
	}
}

// interest is the chance-like union of the viewer's relative interest in
// each of the video's hashtags, kept below 1 so two strong tags beat one.
func interest(tags []string, profile map[string]float64, maxW float64) float64 {
	if maxW <= 0 {
		return 0
	}
	miss := 1.0
	for _, t := range tags {
		if w := profile[t]; w > 0 {
			miss *= 1 - 0.9*w/maxW
		}
	}
	return 1 - miss
}

// affinity combines a follow and past interactions the same way.
func affinity(follows bool, inter, maxInter float64) float64 {
	missF, missI := 1.0, 1.0
	if follows {
		missF = 0.4
	}
	if maxInter > 0 && inter > 0 {
		missI = 1 - 0.8*inter/maxInter
	}
	return 1 - missF*missI
}

func freshness(age, halfLife time.Duration) float64 {
	if age <= 0 {
		return 1
	}
	return math.Exp2(-float64(age) / float64(halfLife))
}

func maxValue(m map[string]float64) float64 {
	var out float64
	for _, v := range m {
		out = max(out, v)
	}
	return out
}
