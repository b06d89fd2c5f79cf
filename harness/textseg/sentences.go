// Package textseg splits text into sentences, for finding the sentence that
// holds an answer in training data.
//
// Rules, by script:
//   - Latin, Greek, Cyrillic: ". ! ?" (and Greek's question mark ";", U+037E),
//     plus any closing quotes or brackets, end a sentence when whitespace and
//     then a letter that is not lower case, a digit or an opening quote
//     follow. "e.g. the", "3.5" and "Mr. Smith" do not split: the first
//     because a lower-case word follows, the second because no space does,
//     the third because a short list of abbreviations and single-letter
//     initials are never sentence ends.
//   - Arabic: "؟" (U+061F), "۔" (U+06D4), "." "!" end a sentence before
//     whitespace; Arabic has no case, so any letter may follow.
//   - Devanagari: the danda "।" and double danda "॥" end a sentence.
//   - Chinese and Japanese: "。！？" (full-width) end a sentence with or
//     without a following space.
//   - Thai has no sentence punctuation; a space between two Thai characters
//     marks a sentence (or clause) boundary, the convention of Thai text.
//
// Offsets are in runes (Unicode code points), as SQuAD-style answer_start is.
package textseg

import (
	"strings"
	"unicode"
)

// Span is a sentence as a half-open rune range [Start, End) of the text,
// without surrounding whitespace.
type Span struct{ Start, End int }

var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "st": true, "jr": true, "sr": true,
	"vs": true, "etc": true, "e.g": true, "i.e": true, "no": true, "inc": true, "ltd": true, "co": true,
	"u.s": true, "u.k": true, "jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true,
	"aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true, "fig": true, "vol": true,
	"z.b": true, "bzw": true, "usw": true, "sr.": true, "sra": true, "gen": true, "col": true, "mt": true,
}

func isClosing(r rune) bool {
	return strings.ContainsRune(`"'»”’)]}」』）`, r)
}

func isOpening(r rune) bool {
	return strings.ContainsRune(`"'«“‘([{「『（¿¡`, r)
}

// Sentences splits text into sentence spans covering every non-space rune.
func Sentences(text string) []Span {
	rs := []rune(text)
	var out []Span
	start := 0
	emit := func(end int) {
		s, e := start, end
		for s < e && unicode.IsSpace(rs[s]) {
			s++
		}
		for e > s && unicode.IsSpace(rs[e-1]) {
			e--
		}
		if e > s {
			out = append(out, Span{s, e})
		}
		start = end
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case strings.ContainsRune("。！？", r):
			j := i + 1
			for j < len(rs) && isClosing(rs[j]) {
				j++
			}
			emit(j)
			i = j - 1
		case r == '।' || r == '॥' || r == '؟' || r == '۔' || r == '\u037e':
			j := i + 1
			for j < len(rs) && (isClosing(rs[j]) || rs[j] == '॥' || rs[j] == '।') {
				j++
			}
			if j == len(rs) || unicode.IsSpace(rs[j]) {
				emit(j)
				i = j - 1
			}
		case r == '.' || r == '!' || r == '?':
			j := i + 1
			for j < len(rs) && (rs[j] == '.' || rs[j] == '!' || rs[j] == '?') {
				j++
			}
			for j < len(rs) && isClosing(rs[j]) {
				j++
			}
			if j < len(rs) && !unicode.IsSpace(rs[j]) {
				continue // "3.5", "www.x.org", "U.S.A"
			}
			k := j
			for k < len(rs) && unicode.IsSpace(rs[k]) {
				k++
			}
			if k < len(rs) && !startsSentence(rs[k], rs, k) {
				continue
			}
			if r == '.' && isAbbreviation(rs, i) {
				continue
			}
			emit(j)
			i = j - 1
		case r == ' ' && i > 0 && i+1 < len(rs) && unicode.Is(unicode.Thai, rs[i-1]) && unicode.Is(unicode.Thai, rs[i+1]):
			emit(i)
		}
	}
	emit(len(rs))
	return out
}

// startsSentence reports whether rune r at position k can begin a sentence.
func startsSentence(r rune, rs []rune, k int) bool {
	switch {
	case unicode.IsDigit(r), isOpening(r):
		return true
	case unicode.IsLetter(r):
		return !unicode.IsLower(r)
	}
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// isAbbreviation reports whether the period at i ends a known abbreviation
// or a single-letter initial.
func isAbbreviation(rs []rune, i int) bool {
	j := i
	for j > 0 && (unicode.IsLetter(rs[j-1]) || rs[j-1] == '.') {
		j--
	}
	word := strings.ToLower(string(rs[j:i]))
	if word == "" {
		return false
	}
	if len([]rune(word)) == 1 && unicode.IsUpper(rs[j]) {
		return true // an initial: "J. Smith"
	}
	return abbreviations[word]
}

// Containing returns the index of the span that holds rune offset pos, the
// span starting nearest after it when pos falls between spans (whitespace),
// or -1 when there are no spans.
func Containing(spans []Span, pos int) int {
	for i, s := range spans {
		if pos < s.End {
			return i
		}
	}
	return len(spans) - 1
}

// Text returns the text of span s of text.
func Text(text string, s Span) string {
	return string([]rune(text)[s.Start:s.End])
}
