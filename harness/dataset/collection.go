package dataset

import "fmt"

// Candidate is one retrieval candidate: a sentence, with its paragraph as
// context.
type Candidate struct {
	// ID is "<lang>:<article>-<paragraph>-<sentence>", 0-based in file order.
	ID      string
	Lang    string
	Text    string
	Context string
}

// Question is one query with its gold answers and relevant candidates.
type Question struct {
	// ID is the question id, shared by the question's translations.
	ID      string
	Lang    string
	Text    string
	Answers []string
	// Relevant holds the indices (into Collection.Candidates) of the
	// candidates that contain the answer, one per language that has the
	// question, in language order.
	Relevant []int
	// RelevantIDs holds the ids of the candidates in Relevant.
	RelevantIDs []string
}

// Collection is an evaluation dataset: candidates and questions in several
// languages, both stored grouped by language in Languages order.
type Collection struct {
	Name       string
	Languages  []string
	Candidates []Candidate
	Questions  []Question
	// Partial counts the question ids present in some of the collection's
	// languages but not all (a parallel dataset should have none).
	Partial int
	// Bitext marks a bitext-retrieval collection: each question is a
	// sentence and its relevant candidates are its translations. It has
	// no answers to read, no monolingual pool (a sentence would find
	// itself), and its multilingual pool holds the other languages only.
	Bitext    bool
	cands     map[string]span
	questions map[string]span
}

type span struct{ lo, hi int }

// CandidateRange returns the half-open range of Candidates in lang.
func (c *Collection) CandidateRange(lang string) (lo, hi int) {
	s := c.cands[lang]
	return s.lo, s.hi
}

// QuestionRange returns the half-open range of Questions in lang.
func (c *Collection) QuestionRange(lang string) (lo, hi int) {
	s := c.questions[lang]
	return s.lo, s.hi
}

// RelevantIn returns the index of q's relevant candidate in lang, or -1.
func (c *Collection) RelevantIn(q *Question, lang string) int {
	lo, hi := c.CandidateRange(lang)
	for _, r := range q.Relevant {
		if r >= lo && r < hi {
			return r
		}
	}
	return -1
}

// Summary is a one-line description for logs.
func (c *Collection) Summary() string {
	s := fmt.Sprintf("%s: %d languages, %d questions, %d candidates", c.Name, len(c.Languages), len(c.Questions), len(c.Candidates))
	if c.Partial > 0 {
		s += fmt.Sprintf("; %d question ids are missing from some languages", c.Partial)
	}
	return s
}
