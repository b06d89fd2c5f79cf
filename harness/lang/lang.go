// Package lang names languages and the language pairs of pools: the keys
// datasets, training records and stored results share. It depends on
// nothing in the module, so every package can speak its types.
package lang

import (
	"fmt"
	"regexp"
	"strings"
)

// languageCode is what a language is called, declared or found on disk: an
// ISO 639 code, 2 or 3 lower-case letters. It holds no '-', so a PoolKey
// splits one way only.
var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// XQuADR are the eleven languages of XQuAD-R, in its files' order: the
// languages xlbench's datasets, answer-normalisation rules and reference
// results cover. Every list of them in the harness is this one.
var XQuADR = []string{"ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"}

// IsCode reports whether l is a valid language code.
func IsCode(l string) bool { return languageCode.MatchString(l) }

// Rule says what IsCode accepts, for error messages.
const Rule = "a language is an ISO 639 code of 2 or 3 lower-case letters (en, de, zh)"

// PoolKey names a pool of an evaluation or a (query language, passage
// language) pair of training. Written, it is "<query>" when Candidate is
// empty (an evaluation's pool of the query's own language, or of every
// language) and "<query>-<candidate>" otherwise (a cross-lingual pool; a
// training pair, "de-de" included).
type PoolKey struct {
	Query, Candidate string
}

// String is the key's written form.
func (k PoolKey) String() string {
	if k.Candidate == "" {
		return k.Query
	}
	return k.Query + "-" + k.Candidate
}

// Compare orders keys as their written forms sort (-1, 0, +1), the order
// sums over pools run in: a map's order changes from run to run, and with
// it the last bits of a float sum.
func (k PoolKey) Compare(o PoolKey) int { return strings.Compare(k.String(), o.String()) }

// Cross reports whether the key names two different languages.
func (k PoolKey) Cross() bool { return k.Candidate != "" && k.Candidate != k.Query }

// ParsePoolKey reads a key String wrote (the two are inverse); both
// languages must be language codes.
func ParsePoolKey(s string) (PoolKey, error) {
	q, c, cross := strings.Cut(s, "-")
	if !IsCode(q) || cross && !IsCode(c) {
		return PoolKey{}, fmt.Errorf("pool key %q: want <lang> or <lang>-<lang>; %s", s, Rule)
	}
	return PoolKey{Query: q, Candidate: c}, nil
}

// MarshalText writes the key's String, so that a map keyed by PoolKey is
// stored as a JSON object keyed "de" or "de-en".
func (k PoolKey) MarshalText() ([]byte, error) {
	if _, err := ParsePoolKey(k.String()); err != nil {
		return nil, err
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a key MarshalText wrote and refuses any other text:
// a stored result with a malformed pool key fails to decode.
func (k *PoolKey) UnmarshalText(b []byte) error {
	p, err := ParsePoolKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}
