package textseg

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func split(text string) []string {
	var out []string
	for _, s := range Sentences(text) {
		out = append(out, Text(text, s))
	}
	return out
}

func TestSentencesPerScript(t *testing.T) {
	tests := []struct {
		script, text string
		want         []string
	}{
		{"latin", "The Panthers won. Mr. Smith scored 3.5 points, e.g. in the final! Did J. R. Tolkien write it? Yes.",
			[]string{"The Panthers won.", "Mr. Smith scored 3.5 points, e.g. in the final!", "Did J. R. Tolkien write it?", "Yes."}},
		{"latin quotes", `He said "stop." Then he left. (It rained.) Next day`,
			[]string{`He said "stop."`, "Then he left.", "(It rained.)", "Next day"}},
		{"spanish", "¿Dónde está? Está en Madrid. ¡Claro!",
			[]string{"¿Dónde está?", "Está en Madrid.", "¡Claro!"}},
		{"greek", "Η Αθήνα είναι πρωτεύουσα. Πού είναι η Σπάρτη; Στην Πελοπόννησο.",
			[]string{"Η Αθήνα είναι πρωτεύουσα.", "Πού είναι η Σπάρτη; Στην Πελοπόννησο."}},
		{"greek question mark", "Πού είναι\u037e Εδώ.", []string{"Πού είναι\u037e", "Εδώ."}},
		{"cyrillic", "Москва — столица России. Она большая! Правда?",
			[]string{"Москва — столица России.", "Она большая!", "Правда?"}},
		{"arabic", "القاهرة عاصمة مصر. ما هي عاصمة فرنسا؟ باريس.",
			[]string{"القاهرة عاصمة مصر.", "ما هي عاصمة فرنسا؟", "باريس."}},
		{"devanagari", "दिल्ली भारत की राजधानी है। मुंबई बड़ा शहर है।",
			[]string{"दिल्ली भारत की राजधानी है।", "मुंबई बड़ा शहर है।"}},
		{"chinese", "北京是首都。上海很大！你去过吗？去过。",
			[]string{"北京是首都。", "上海很大！", "你去过吗？", "去过。"}},
		{"chinese quote", "他说：“好。”然后走了。", []string{"他说：“好。”", "然后走了。"}},
		{"thai", "กรุงเทพเป็นเมืองหลวง เชียงใหม่อยู่ทางเหนือ",
			[]string{"กรุงเทพเป็นเมืองหลวง", "เชียงใหม่อยู่ทางเหนือ"}},
		{"vietnamese", "Hà Nội là thủ đô. Sài Gòn lớn hơn.", []string{"Hà Nội là thủ đô.", "Sài Gòn lớn hơn."}},
		{"no terminator", "just words", []string{"just words"}},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, split(tc.text)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestContaining(t *testing.T) {
	text := "Ab cd. Ef gh."
	spans := Sentences(text)
	for pos, want := range map[int]int{0: 0, 5: 0, 6: 1, 7: 1, 12: 1} {
		if got := Containing(spans, pos); got != want {
			t.Errorf("Containing(%d) = %d, want %d", pos, got, want)
		}
	}
}
