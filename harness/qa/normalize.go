// Package qa scores answers: exact match and F1 as the official SQuAD v1.1
// and MLQA evaluation scripts define them, with documented rules for the
// languages those scripts do not cover, and has-answer@k, the retrieval
// accuracy of dense passage retrieval.
//
// An answer is normalised, then split into tokens:
//
//   - lower-case (full Unicode lower-casing, as Python's str.lower(): İ
//     becomes i + combining dot, a final Σ becomes ς);
//   - punctuation removed: ASCII punctuation for English (SQuAD v1.1), every
//     Unicode punctuation character (general category P*) plus ASCII
//     punctuation for every other language (MLQA);
//   - articles removed where they stand as whole words (see articles);
//   - split at white space, and for Chinese also around every character in
//     U+4E00–U+9FA5 (MLQA's mixed segmentation); for Thai, which writes no
//     spaces between words, around every Thai character cluster (a base
//     character with its combining vowel and tone marks).
//
// EM is 1 when the normalised strings are equal; F1 is the harmonic mean of
// token precision and recall over the bag of tokens; both take the best over
// the gold answers.
package qa

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xlbench/xlbench/harness/lang"
)

// Languages lists the languages with rules, in order: every XQuAD-R
// language.
var Languages = lang.XQuADR

// articles are the whole words dropped per language. en, es, de and vi are
// MLQA's lists (en also SQuAD's); el drops the Greek definite and indefinite
// articles in every case, a rule of this package. hi, ru, th, tr and zh have
// no articles to drop (Turkish "bir" is also the numeral one, so it stays).
// Arabic is handled apart (see dropArabicArticle).
var articles = map[string][]string{
	"en": {"a", "an", "the"},
	"es": {"un", "una", "unos", "unas", "el", "la", "los", "las"},
	"de": {"ein", "eine", "einen", "einem", "eines", "einer", "der", "die", "das", "den", "dem", "des"},
	"vi": {"của", "là", "cái", "chiếc", "những"},
	"el": {"ο", "η", "το", "οι", "τα", "του", "της", "των", "τον", "την", "τους", "τις", "τη",
		"ένας", "μια", "μία", "ένα", "ενός", "μιας", "έναν", "ενα"},
}

// Known says whether lang has rules.
func Known(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// Normalize returns the normalised answer: tokens joined by single spaces.
func Normalize(s, lang string) string { return strings.Join(Tokens(s, lang), " ") }

// Tokens returns the tokens of the normalised answer.
func Tokens(s, lang string) []string {
	s = lower(s)
	s = dropPunctuation(s, lang == "en")
	switch lang {
	case "ar":
		s = dropArabicArticle(s)
	default:
		s = dropWords(s, articles[lang])
	}
	switch lang {
	case "zh":
		return segment(s, isHan)
	case "th":
		return thaiSegment(s)
	}
	return strings.Fields(s)
}

// lower is Python's str.lower(): unicode.ToLower per rune, except the two
// cases where full lower-casing differs from the simple mapping.
func lower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ':
			if finalSigma(rs, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma is Unicode's Final_Sigma condition: a cased letter before
// (skipping case-ignorable characters) and none after.
func finalSigma(rs []rune, i int) bool {
	cased := func(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }
	ignorable := func(r rune) bool {
		return unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Lm, r) || unicode.Is(unicode.Sk, r) || r == '\'' || r == '.' || r == ':' || r == '·' || r == '\u2019'
	}
	before := false
	for j := i - 1; j >= 0; j-- {
		if ignorable(rs[j]) {
			continue
		}
		before = cased(rs[j])
		break
	}
	if !before {
		return false
	}
	for j := i + 1; j < len(rs); j++ {
		if ignorable(rs[j]) {
			continue
		}
		return !cased(rs[j])
	}
	return true
}

// asciiPunct is Python's string.punctuation.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func dropPunctuation(s string, asciiOnly bool) string {
	return strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && strings.ContainsRune(asciiPunct, r) {
			return -1
		}
		if !asciiOnly && unicode.IsPunct(r) {
			return -1
		}
		return r
	}, s)
}

// isWordRune is Python's \w in a Unicode pattern: letters, numbers and the
// underscore (not combining marks).
func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) }

// dropWords replaces each listed word that stands between word boundaries
// (\b(w1|w2|…)\b in the official scripts) with a space.
func dropWords(s string, words []string) string {
	if len(words) == 0 {
		return s
	}
	var b strings.Builder
	rs := []rune(s)
	i := 0
	for i < len(rs) {
		if i == 0 || !isWordRune(rs[i-1]) {
			if n := matchWord(rs[i:], words); n > 0 && (i+n == len(rs) || !isWordRune(rs[i+n])) {
				b.WriteByte(' ')
				i += n
				continue
			}
		}
		b.WriteRune(rs[i])
		i++
	}
	return b.String()
}

// matchWord returns the length in runes of the first word of words (in list
// order, as a regular-expression alternation tries them) that rs starts
// with and that ends at a word boundary, or 0.
func matchWord(rs []rune, words []string) int {
	for _, w := range words {
		wr := []rune(w)
		if len(wr) > len(rs) {
			continue
		}
		if string(rs[:len(wr)]) == w && (len(wr) == len(rs) || !isWordRune(rs[len(wr)])) {
			return len(wr)
		}
	}
	return 0
}

// dropArabicArticle is MLQA's re.sub('\sال^|ال', ' ', text): its first
// alternative can never match (^ after text), so every "ال" is replaced by
// a space, wherever it stands.
func dropArabicArticle(s string) string { return strings.ReplaceAll(s, "ال", " ") }

func isHan(r rune) bool { return r >= 0x4E00 && r <= 0x9FA5 }

// segment is MLQA's mixed segmentation: every rune for which single is true
// is a token of its own; the text between them is split at white space.
func segment(s string, single func(rune) bool) []string {
	var out []string
	start := 0
	for i, r := range s {
		if single(r) {
			out = append(out, strings.Fields(s[start:i])...)
			out = append(out, string(r))
			start = i + utf8.RuneLen(r)
		}
	}
	return append(out, strings.Fields(s[start:])...)
}

func isThai(r rune) bool { return r >= 0x0E00 && r <= 0x0E7F }

// thaiSegment splits Thai text into character clusters — a Thai base
// character with the combining marks (vowel signs above and below, tone
// marks) that follow it — and the text between Thai runs at white space.
// Thai has no spaces between words and no agreed word segmentation, so the
// cluster is the token, as the character is for Chinese.
func thaiSegment(s string) []string {
	var out []string
	rs := []rune(s)
	start := 0
	for i := 0; i < len(rs); {
		if !isThai(rs[i]) || unicode.Is(unicode.Mn, rs[i]) {
			i++
			continue
		}
		out = append(out, strings.Fields(string(rs[start:i]))...)
		j := i + 1
		for j < len(rs) && unicode.Is(unicode.Mn, rs[j]) {
			j++
		}
		out = append(out, string(rs[i:j]))
		i, start = j, j
	}
	return append(out, strings.Fields(string(rs[start:]))...)
}
