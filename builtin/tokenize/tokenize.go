// Package tokenize splits text of any script into index terms.
//
// Text is NFKC-normalised and case-folded, then cut at every character that
// is not a letter, digit or combining mark. Runs in scripts written without
// spaces between words (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar,
// Tibetan) have no word boundaries to cut at, so they become overlapping
// character n-grams instead (a run shorter than n is one term). A run
// changes type where the script does, so "GPT模型" gives "gpt" and the
// n-grams of "模型".
package tokenize

import (
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// unsegmented lists the scripts written without spaces between words.
var unsegmented = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai,
	unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan,
}

// Tokenizer splits texts into terms. The zero value is not usable; use New.
// A Tokenizer may be used from several goroutines at once: case folding
// keeps no state between texts.
type Tokenizer struct {
	n    int
	fold cases.Caser
}

// New returns a Tokenizer that cuts unsegmented scripts into n-grams of n
// characters (n ≥ 1).
func New(n int) *Tokenizer {
	if n < 1 {
		n = 1
	}
	return &Tokenizer{n: n, fold: cases.Fold()}
}

// Normalize applies NFKC and case folding, the normalisation every term
// goes through.
func (t *Tokenizer) Normalize(s string) string {
	return t.fold.String(norm.NFKC.String(s))
}

// Tokens returns the terms of s in order of appearance.
func (t *Tokenizer) Tokens(s string) []string {
	s = t.Normalize(s)
	var out []string
	var run []rune
	runUnseg := false
	flush := func() {
		if len(run) == 0 {
			return
		}
		if !runUnseg {
			out = append(out, string(run))
		} else if len(run) <= t.n {
			out = append(out, string(run))
		} else {
			for i := 0; i+t.n <= len(run); i++ {
				out = append(out, string(run[i:i+t.n]))
			}
		}
		run = run[:0]
	}
	for _, r := range s {
		if !isWordRune(r) {
			flush()
			continue
		}
		// A combining mark continues the run it follows, whatever its
		// script property says.
		u := runUnseg
		if !unicode.IsMark(r) || len(run) == 0 {
			u = unicode.In(r, unsegmented...)
		}
		if len(run) > 0 && u != runUnseg {
			flush()
		}
		runUnseg = u
		run = append(run, r)
	}
	flush()
	return out
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}
