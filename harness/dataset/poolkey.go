package dataset

import (
	"fmt"
	"regexp"
	"strings"
)

// languageCode is what a language is called, declared or found on disk: an
// ISO 639 code, 2 or 3 lower-case letters. It holds no '-', so a PoolKey
// splits one way only.
var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// IsLanguage reports whether l is a valid language code.
func IsLanguage(l string) bool { return languageCode.MatchString(l) }

// LanguageRule says what IsLanguage accepts, for error messages.
const LanguageRule = "a language is an ISO 639 code of 2 or 3 lower-case letters (en, de, zh)"

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

// Cross reports whether the key names two different languages.
func (k PoolKey) Cross() bool { return k.Candidate != "" && k.Candidate != k.Query }

// ParsePoolKey reads a key String wrote (the two are inverse); both
// languages must be language codes.
func ParsePoolKey(s string) (PoolKey, error) {
	q, c, cross := strings.Cut(s, "-")
	if !IsLanguage(q) || cross && !IsLanguage(c) {
		return PoolKey{}, fmt.Errorf("pool key %q: want <lang> or <lang>-<lang>; %s", s, LanguageRule)
	}
	return PoolKey{Query: q, Candidate: c}, nil
}
