package feed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// violations counts pairs of one creator within diversityWindow items.
func violations(creators []string) int {
	n := 0
	for i := range creators {
		for j := i + 1; j < len(creators) && j < i+diversityWindow; j++ {
			if creators[i] == creators[j] {
				n++
			}
		}
	}
	return n
}

// arrangeableBrute searches every order of the multiset for one that keeps
// the rule after recent.
func arrangeableBrute(count map[string]int, recent []string, left int) bool {
	if left == 0 {
		return true
	}
	for c, n := range count {
		if n == 0 || slices.Contains(recent[max(0, len(recent)-(diversityWindow-1)):], c) {
			continue
		}
		count[c]--
		ok := arrangeableBrute(count, append(slices.Clone(recent), c), left-1)
		count[c]++
		if ok {
			return true
		}
	}
	return false
}

func creatorsOf(items []Scored) []string {
	out := make([]string, len(items))
	for i, sc := range items {
		out[i] = sc.CreatorID
	}
	return out
}

// Wherever some order of the candidates keeps every creator 4 apart, mix
// finds one: checked against brute force on thousands of small inputs, with
// and without creators carried over from a previous batch.
func TestMixKeepsCreatorsApartWheneverPossible(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	old := t0.Add(-30 * 24 * time.Hour) // nobody explorable: diversity alone
	checked := 0
	for trial := range 4000 {
		n := 1 + rng.IntN(9)
		creators := 1 + rng.IntN(5)
		var items []Scored
		count := map[string]int{}
		for i := range n {
			c := fmt.Sprintf("c%d", rng.IntN(creators))
			count[c]++
			items = append(items, Scored{Candidate: Candidate{ID: fmt.Sprintf("v%d", i), CreatorID: c, PublishedAt: old,
				Stats: Stats{Views: 1000}}, Score: rng.Float64()})
		}
		slices.SortFunc(items, byScore)
		var recent []string
		if trial%2 == 1 {
			for range rng.IntN(4) {
				recent = append(recent, fmt.Sprintf("c%d", rng.IntN(creators+1)))
			}
		}
		got := mix(items, recent, 100, len(items), rng, t0)
		if len(got) != n {
			t.Fatalf("mix returned %d of %d items", len(got), n)
		}
		seq := append(slices.Clone(recent), creatorsOf(got)...)
		if violations(seq) == violations(recent) {
			continue
		}
		if arrangeableBrute(count, recent, n) {
			t.Fatalf("recent %v, items %v: mix gave %v, but an order without repeats exists", recent, creatorsOf(items), creatorsOf(got))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no input needed a repeat: the trial sizes are wrong")
	}
}

// When a creator has too many items to keep apart, they are spread out
// rather than left in a clump at the end.
func TestMixSpreadsAnExcess(t *testing.T) {
	var items []Scored
	for i := range 12 {
		c := "big"
		if i%4 == 0 {
			c = fmt.Sprintf("small%d", i)
		}
		items = append(items, Scored{Candidate: Candidate{ID: fmt.Sprintf("v%02d", i), CreatorID: c, PublishedAt: t0.Add(-30 * 24 * time.Hour),
			Stats: Stats{Views: 1000}}, Score: float64(100 - i)})
	}
	got := creatorsOf(mix(items, nil, 100, len(items), rand.New(rand.NewPCG(1, 1)), t0))
	run, longest := 0, 0
	for i, c := range got {
		if i > 0 && c == got[i-1] {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
	}
	if longest > 3 {
		t.Fatalf("order %v has %d of one creator in a row; the 3 others should split them", got, longest)
	}
}

func TestMixExplorationSlots(t *testing.T) {
	var items []Scored
	for i := range 40 {
		c := Candidate{ID: fmt.Sprintf("v%02d", i), CreatorID: fmt.Sprintf("c%d", i), PublishedAt: t0.Add(-30 * 24 * time.Hour), Stats: Stats{Views: 5000}}
		if i >= 30 { // ten new videos, ranked last by score
			c.PublishedAt, c.Stats.Views = t0.Add(-time.Hour), 3
		}
		items = append(items, Scored{Candidate: c, Score: float64(100 - i)})
	}
	got := mix(items, nil, 0, len(items), rand.New(rand.NewPCG(7, 7)), t0)
	for i, sc := range got {
		slot := i >= exploreFirst && (i-exploreFirst)%exploreEvery == 0
		if slot != sc.Explore {
			t.Fatalf("position %d: explore=%v, want %v", i, sc.Explore, slot)
		}
		if slot && sc.Stats.Views > exploreMaxViews {
			t.Fatalf("position %d is an exploration slot holding a video with %d views", i, sc.Stats.Views)
		}
		if !slot && i < 26 && sc.Stats.Views <= exploreMaxViews {
			t.Fatalf("position %d: a new video outside a slot ahead of better-scored ones", i)
		}
	}
	// Slots line up with the session, not the batch: a batch starting at
	// position 10 has its first slot at once.
	if !mix(items, nil, 10, 5, rand.New(rand.NewPCG(7, 7)), t0)[0].Explore {
		t.Fatal("position 10 of a session is an exploration slot")
	}
	// Different sessions pick different new videos.
	picks := map[string]bool{}
	for seed := range uint64(20) {
		picks[mix(items, nil, 0, 3, rand.New(rand.NewPCG(seed, 1)), t0)[2].ID] = true
	}
	if len(picks) < 4 {
		t.Fatalf("20 sessions put only %d distinct new videos in the first slot", len(picks))
	}
}

// Exploration favours the least exposed: a video nobody has seen gets a
// slot far more often than one with a hundred views already.
func TestExplorationFavoursTheUnseen(t *testing.T) {
	var items []Scored
	for i := range 11 {
		views := int64(100)
		if i == 10 {
			views = 0
		}
		items = append(items, Scored{Candidate: Candidate{ID: fmt.Sprintf("v%02d", i), CreatorID: fmt.Sprintf("c%d", i),
			PublishedAt: t0.Add(-time.Hour), Stats: Stats{Views: views}}, Score: float64(100 - i)})
	}
	unseen := 0
	for seed := range uint64(400) {
		if mix(items, nil, exploreFirst, 1, rand.New(rand.NewPCG(seed, 3)), t0)[0].ID == "v10" {
			unseen++
		}
	}
	// Weights 1 against 10 × 1/101: about 91% of the picks.
	if unseen < 330 || unseen > 395 {
		t.Fatalf("the unseen video took %d of 400 exploration slots, want about 91%%", unseen)
	}
}
