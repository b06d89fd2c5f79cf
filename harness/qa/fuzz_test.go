package qa

import (
	"math"
	"testing"
)

// FuzzScore: EM and F1 of any prediction against any gold answer, in every
// language's rules, are in [0, 1]; a text scores 1 against itself unless
// normalisation leaves nothing of it; normalising twice changes nothing.
func FuzzScore(f *testing.F) {
	f.Add("the Eiffel Tower", "Eiffel tower.", "en")
	f.Add("北京是首都", "北京", "zh")
	f.Add("กรุงเทพมหานคร", "กรุงเทพ", "th")
	f.Add("", "a", "de")
	f.Add("\xff\xfe", "x", "ar")
	f.Fuzz(func(t *testing.T, pred, gold, lang string) {
		if !Known(lang) {
			lang = "en"
		}
		em, f1 := ExactMatch(pred, gold, lang), F1(pred, gold, lang)
		for _, v := range []float64{em, f1} {
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Fatalf("EM %v, F1 %v for %q against %q (%s)", em, f1, pred, gold, lang)
			}
		}
		if n := Normalize(pred, lang); n != "" {
			if ExactMatch(pred, pred, lang) != 1 || F1(pred, pred, lang) != 1 {
				t.Fatalf("%q does not match itself (%s)", pred, lang)
			}
			if Normalize(n, lang) != n {
				t.Fatalf("normalising %q twice: %q, then %q (%s)", pred, n, Normalize(n, lang), lang)
			}
		}
	})
}
