package reader

import (
	"strings"
	"unicode"
)

// token is a piece of a text that an answer may start or end at: its
// lower-cased form, its rune range [start, end) in the text, and whether it
// began with a capital.
type token struct {
	text       string
	start, end int
	upper      bool
}

// tokenize splits text into answer-boundary tokens: runs of letters, digits
// and combining marks; each other visible character (punctuation, symbols)
// alone; and, in scripts written without spaces, each character (Han, Kana,
// Hangul) or character cluster (Thai, Lao, Khmer, Myanmar: a base with its
// combining marks) alone, since an answer may start at any of them.
func tokenize(text string) []token {
	rs := []rune(text)
	var out []token
	emit := func(s, e int) {
		out = append(out, token{strings.ToLower(string(rs[s:e])), s, e, unicode.IsUpper(rs[s])})
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case unspaced(r):
			j := i + 1
			for j < len(rs) && unicode.Is(unicode.Mn, rs[j]) {
				j++
			}
			emit(i, j)
			i = j
		case wordRune(r):
			j := i + 1
			for j < len(rs) && wordRune(rs[j]) && !unspaced(rs[j]) {
				j++
			}
			emit(i, j)
			i = j
		default:
			emit(i, i+1)
			i++
		}
	}
	return out
}

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// unspaced reports the base characters of scripts written without spaces
// between words.
func unspaced(r rune) bool {
	return !unicode.Is(unicode.Mn, r) && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
		unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar))
}
