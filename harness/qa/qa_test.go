package qa

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// testdata/golden.json holds hand-worked cases in every language: the
// tokens of normalised answers, EM and F1 with their working, and
// has-answer decisions.
type golden struct {
	Tokens []struct {
		Lang, Text, Why string
		Tokens          []string
	}
	Scores []struct {
		Lang, Prediction, Working string
		Golds                     []string
		EM, F1                    float64
	}
	HasAnswer []struct {
		Lang, Text string
		Golds      []string
		Want       bool
	} `json:"has_answer"`
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestTokensGolden(t *testing.T) {
	g := loadGolden(t)
	seen := map[string]bool{}
	for _, c := range g.Tokens {
		seen[c.Lang] = true
		if diff := cmp.Diff(c.Tokens, Tokens(c.Text, c.Lang), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s %q (%s): tokens (-want +got):\n%s", c.Lang, c.Text, c.Why, diff)
		}
	}
	for _, l := range Languages {
		if !seen[l] {
			t.Errorf("no token case for %s", l)
		}
	}
}

func TestScoresGolden(t *testing.T) {
	for _, c := range loadGolden(t).Scores {
		em, f1 := Best(c.Prediction, c.Golds, c.Lang)
		if em != c.EM || math.Abs(f1-c.F1) > 1e-9 {
			t.Errorf("%s %q vs %q: EM %v F1 %.4f, want %v %.4f (%s)", c.Lang, c.Prediction, c.Golds, em, f1, c.EM, c.F1, c.Working)
		}
		if len(c.Golds) == 1 {
			if got := ExactMatch(c.Prediction, c.Golds[0], c.Lang); got != c.EM {
				t.Errorf("ExactMatch(%q, %q) = %v", c.Prediction, c.Golds[0], got)
			}
			if got := F1(c.Prediction, c.Golds[0], c.Lang); math.Abs(got-c.F1) > 1e-9 {
				t.Errorf("F1(%q, %q) = %v", c.Prediction, c.Golds[0], got)
			}
		}
	}
}

func TestHasAnswerGolden(t *testing.T) {
	for _, c := range loadGolden(t).HasAnswer {
		if got := HasAnswer(c.Text, c.Golds, c.Lang); got != c.Want {
			t.Errorf("%s HasAnswer(%q, %q) = %v", c.Lang, c.Text, c.Golds, got)
		}
	}
}
