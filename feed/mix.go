package feed

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Exploration and diversity rules (docs/FEED.md).
const (
	// exploreEvery and exploreFirst place the exploration slots: positions
	// 2, 10, 18, … of a session, one in eight.
	exploreEvery = 8
	exploreFirst = 2
	// exploreMaxViews and exploreMaxAge define a new video with few views.
	exploreMaxViews = 200
	exploreMaxAge   = 14 * 24 * time.Hour
	// diversityWindow: no creator twice within any this many consecutive items.
	diversityWindow = 4
)

// explorable reports whether c belongs to the exploration pool.
func explorable(c Candidate, now time.Time) bool {
	return c.Stats.Views <= exploreMaxViews && now.Sub(c.PublishedAt) <= exploreMaxAge
}

// mix orders ranked items (best first) into the session's list. Position
// start of the session is the first item placed, so exploration slots line
// up across batches; recent holds the creators of the items just before it,
// oldest first, so diversity holds across batches too. rng picks the
// exploration items. It stops after limit items.
func mix(ranked []Scored, recent []string, start, limit int, rng *rand.Rand, now time.Time) []Scored {
	m := newMixer(ranked, recent)
	var pool []int
	for i, sc := range ranked {
		if explorable(sc.Candidate, now) {
			pool = append(pool, i)
		}
	}
	out := make([]Scored, 0, min(limit, len(ranked)))
	for pos := start; m.left > 0 && len(out) < limit; pos++ {
		i := -1
		if pos >= exploreFirst && (pos-exploreFirst)%exploreEvery == 0 {
			i = m.explore(pool, rng)
		}
		explore := i >= 0
		if !explore {
			i = m.choose()
		}
		m.place(i)
		sc := ranked[i]
		sc.Explore = explore
		out = append(out, sc)
	}
	return out
}

// mixer is the state of one mix: what is left, how many items each creator
// has left, and the creators of the last few items placed.
type mixer struct {
	items  []Scored
	placed []bool
	left   int
	count  map[string]int // creator → items left
	freq   map[int]int    // item count → creators with that many left
	most   int            // the largest count
	window []string       // creators of the last diversityWindow-1 items
}

func newMixer(items []Scored, recent []string) *mixer {
	m := &mixer{items: items, placed: make([]bool, len(items)), left: len(items),
		count: map[string]int{}, freq: map[int]int{}}
	for _, sc := range items {
		m.count[sc.CreatorID]++
	}
	for _, n := range m.count {
		m.freq[n]++
		m.most = max(m.most, n)
	}
	keep := diversityWindow - 1
	m.window = slices.Clone(recent[max(0, len(recent)-keep):])
	return m
}

// spacing is the rule in force: diversityWindow when the items left can
// be laid out with every creator's items that far apart, otherwise the
// largest spacing they allow, so that an excess is spread evenly rather
// than left in a clump. A multiset can be laid out with spacing k iff
// (M−1)·k + T ≤ n, where M is the largest count, T how many creators have
// it, and n the items left.
func (m *mixer) spacing() int {
	k := diversityWindow
	for k > 1 && !fits(m.most, m.freq[m.most], m.left, k) {
		k--
	}
	return k
}

func fits(most, ties, n, k int) bool { return n <= 0 || most <= 0 || (most-1)*k+ties <= n }

// eligible reports whether creator may come next under spacing k.
func (m *mixer) eligible(creator string, k int) bool {
	return !slices.Contains(m.window[max(0, len(m.window)-(k-1)):], creator)
}

// arrangeable reports whether the items left after taking one of
// creator's could still be laid out with spacing k.
func (m *mixer) arrangeable(creator string, k int) bool {
	most, ties := m.most, m.freq[m.most]
	if m.count[creator] == most {
		if ties == 1 {
			most, ties = most-1, m.freq[most-1]+1
		} else {
			ties--
		}
	}
	return fits(most, ties, m.left-1, k)
}

// choose picks the next item by score: the best one whose creator keeps
// the spacing and whose taking keeps the rest arrangeable. Failing that
// (the items just before limit the choice), the eligible creator with the
// most items left goes first; with no eligible item at all the candidates
// do not allow the rule here, and the best one comes.
func (m *mixer) choose() int {
	k := m.spacing()
	best, crowded := -1, -1
	for i, sc := range m.items {
		if m.placed[i] {
			continue
		}
		if best < 0 {
			best = i
		}
		if !m.eligible(sc.CreatorID, k) {
			continue
		}
		if m.arrangeable(sc.CreatorID, k) {
			return i
		}
		if crowded < 0 || m.count[sc.CreatorID] > m.count[m.items[crowded].CreatorID] {
			crowded = i
		}
	}
	if crowded >= 0 {
		return crowded
	}
	return best
}

// explore picks at random an item of the pool that is left, keeps the
// spacing and keeps the rest arrangeable; -1 if there is none. The chance
// of each is 1/(1+views): the least exposed videos get the most first
// chances, and once a video has some views the slots move on to newer ones.
func (m *mixer) explore(pool []int, rng *rand.Rand) int {
	k := m.spacing()
	var ok []int
	var weights []float64
	total := 0.0
	for _, i := range pool {
		c := m.items[i].CreatorID
		if !m.placed[i] && m.eligible(c, k) && m.arrangeable(c, k) {
			w := 1 / (1 + float64(max(m.items[i].Stats.Views, 0)))
			ok, weights, total = append(ok, i), append(weights, w), total+w
		}
	}
	if len(ok) == 0 {
		return -1
	}
	r := rng.Float64() * total
	for j, w := range weights {
		if r -= w; r < 0 {
			return ok[j]
		}
	}
	return ok[len(ok)-1]
}

func (m *mixer) place(i int) {
	c := m.items[i].CreatorID
	m.placed[i] = true
	m.left--
	n := m.count[c]
	m.freq[n]--
	m.count[c] = n - 1
	m.freq[n-1]++
	if n == m.most && m.freq[n] == 0 {
		m.most--
	}
	m.window = append(m.window, c)
	if len(m.window) > diversityWindow-1 {
		m.window = m.window[1:]
	}
}
