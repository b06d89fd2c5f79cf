package textseg

import (
	"testing"
	"unicode/utf8"
)

// FuzzSentences: the sentences of any text are in order, within the text,
// do not overlap, and every one has text; Containing finds the sentence of
// a position inside one.
func FuzzSentences(f *testing.F) {
	f.Add("Dr. Smith went to Washington. He arrived at 3 p.m. on Monday! Did he?")
	f.Add("北京是中国的首都。上海是最大的城市。")
	f.Add("ภาษาไทย ไม่มีช่องว่าง")
	f.Add("...\n\n!!")
	f.Fuzz(func(t *testing.T, text string) {
		n := utf8.RuneCountInString(text)
		spans := Sentences(text)
		end := 0
		for i, s := range spans {
			if s.Start < end || s.End <= s.Start || s.End > n {
				t.Fatalf("span %d %+v after %d, text of %d runes: %q", i, s, end, n, text)
			}
			end = s.End
			if got := Containing(spans, s.Start); got != i {
				t.Fatalf("Containing(%d) = %d, want %d", s.Start, got, i)
			}
			_ = Text(text, s)
		}
	})
}
