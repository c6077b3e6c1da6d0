package english

import (
	"slices"
	"testing"
)

func TestTerms(t *testing.T) {
	a, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"Running Shoes":                {"run", "shoe"},
		"The shop's BEST running shoe": {"shop", "best", "run", "shoe"},
		"here and there":               {"here"},
		"":                             {},
	}
	for in, want := range cases {
		if got := a.Terms(in); !slices.Equal(got, want) {
			t.Errorf("Terms(%q) = %q, want %q", in, got, want)
		}
	}
}
