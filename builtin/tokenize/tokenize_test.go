package tokenize

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		n    int
		in   string
		want []string
	}{
		{"latin case and punctuation", 2, "The Panthers' defense, 308 points!", []string{"the", "panthers", "defense", "308", "points"}},
		{"german sharp s folds", 2, "Straße STRASSE", []string{"strasse", "strasse"}},
		{"nfkc width", 2, "ＡＢＣ１２", []string{"abc12"}},
		{"greek final sigma folds", 2, "ΟΔΟΣ οδός", []string{"οδοσ", "οδόσ"}},
		{"cyrillic", 2, "Москва — столица.", []string{"москва", "столица"}},
		{"arabic", 2, "ما هي عاصمة مصر؟", []string{"ما", "هي", "عاصمة", "مصر"}},
		{"devanagari keeps vowel signs", 2, "भारत की राजधानी", []string{"भारत", "की", "राजधानी"}},
		{"han bigrams", 2, "北京是首都", []string{"北京", "京是", "是首", "首都"}},
		{"han single char", 2, "猫。", []string{"猫"}},
		{"han unigrams", 1, "北京", []string{"北", "京"}},
		// ท ี ่ น ี ่: six code points, five bigrams.
		{"thai bigrams over code points", 2, "ที่นี่", []string{"ที", "ี่", "่น", "นี", "ี่"}},
		{"thai run between latin", 2, "ok ไทย", []string{"ok", "ไท", "ทย"}},
		{"script change splits", 2, "GPT模型v2", []string{"gpt", "模型", "v2"}},
		{"vietnamese diacritics", 2, "Hà Nội", []string{"hà", "nội"}},
		{"empty", 2, " ,. ", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := New(tc.n).Tokens(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Tokens(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}
