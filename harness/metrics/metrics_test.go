package metrics

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// The golden file holds hand-computed values; see testdata/golden.json's
// "why" fields for the arithmetic.
type golden struct {
	Ranks []int              `json:"ranks"`
	Why   string             `json:"why"`
	Want  map[string]float64 `json:"want"`
}

func TestGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []golden
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		got := ForRanks(c.Ranks)
		got[RankDistance] = RankDistanceOf(c.Ranks)
		for k, want := range c.Want {
			if math.Abs(got[Name(k)]-want) > 1e-9 {
				t.Errorf("ranks %v: %s = %.12f, want %.12f (%s)", c.Ranks, k, got[Name(k)], want, c.Why)
			}
		}
	}
}

func TestNoRelevant(t *testing.T) {
	if ForRanks(nil) != nil {
		t.Fatal("a query without relevant candidates was scored")
	}
}

func TestMean(t *testing.T) {
	m := Mean([]Query{{MAP: 1, Recall1: 0}, {MAP: 0.5, Recall1: 1}})
	if m[MAP] != 0.75 || m[Recall1] != 0.5 {
		t.Fatalf("Mean = %v", m)
	}
}
