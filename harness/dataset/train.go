package dataset

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/xlbench/xlbench/harness/textseg"
	"github.com/xlbench/xlbench/plugins"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// TrainGroup is one parallel training unit: a QA pair whose question exists
// in some languages and whose passage — the sentence of the context holding
// the answer — in some languages; or a translation group, one sentence in
// several languages (Queries and Passages then hold the same texts).
type TrainGroup struct {
	// Key is the source's id (the QA id).
	Key      string
	Kind     plugins.GroupKind
	Queries  map[string]string
	Passages map[string]string
	// Answers locates the answer in the passage, per passage language;
	// absent where the answer runs past the end of its sentence.
	Answers map[string]Answer
}

// Answer is an answer inside a passage: its text and where it starts, in
// runes (code points), as SQuAD's answer_start counts.
type Answer struct {
	Text  string
	Start int
}

// TrainCorpus is a training dataset as groups.
type TrainCorpus struct {
	Name   string
	Groups []TrainGroup
}

// LangCounts counts, per language, the groups with a query and with a
// passage in it.
func (c *TrainCorpus) LangCounts() (queries, passages map[string]int) {
	queries, passages = map[string]int{}, map[string]int{}
	for _, g := range c.Groups {
		for l := range g.Queries {
			queries[l]++
		}
		for l := range g.Passages {
			passages[l]++
		}
	}
	return queries, passages
}

// squadFile is the SQuAD v1.1 layout.
type squadArticle struct {
	Paragraphs []struct {
		Context string        `json:"context"`
		QAs     []squadRecord `json:"qas"`
	} `json:"paragraphs"`
}

// squadRecord is one question of a SQuAD-layout file (LAReQA's too).
type squadRecord struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answers  []struct {
		AnswerStart int    `json:"answer_start"`
		Text        string `json:"text"`
	} `json:"answers"`
}

// squadQA is one question with the sentence of its context that holds the
// first answer, and that answer within the sentence (ok false when the
// answer runs past the sentence's end).
type squadQA struct {
	id, question, sentence string
	answer                 Answer
	ok                     bool
}

// readSQuAD reads a SQuAD-layout file and finds each answer's sentence.
func readSQuAD(s *Store, rel string) ([]squadQA, error) {
	rc, file, err := s.Open(rel)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []squadQA
	_, err = decodeArticles(rc, func(ai int, art *squadArticle) error {
		for pi, para := range art.Paragraphs {
			spans := textseg.Sentences(para.Context)
			n := len([]rune(para.Context))
			for qi, qa := range para.QAs {
				rec := fmt.Sprintf("data[%d].paragraphs[%d].qas[%d] (id %q)", ai, pi, qi, qa.ID)
				if qa.ID == "" || qa.Question == "" || len(qa.Answers) == 0 {
					return fmt.Errorf("%s: needs an id, a question and an answer", rec)
				}
				start := qa.Answers[0].AnswerStart
				if start < 0 || start >= n || len(spans) == 0 {
					return fmt.Errorf("%s: answer_start %d outside the %d-character context", rec, start, n)
				}
				span := spans[textseg.Containing(spans, start)]
				sent := textseg.Text(para.Context, span)
				item := squadQA{id: qa.ID, question: qa.Question, sentence: sent}
				ans := []rune(qa.Answers[0].Text)
				if off := start - span.Start; off >= 0 && len(ans) > 0 {
					if sr := []rune(sent); off+len(ans) <= len(sr) && string(sr[off:off+len(ans)]) == string(ans) {
						item.answer, item.ok = Answer{Text: string(ans), Start: off}, true
					}
				}
				out = append(out, item)
			}
		}
		return nil
	})
	if err != nil {
		return nil, describe(file, err, func() (io.ReadCloser, error) { rc, _, err := s.Open(rel); return rc, err })
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no questions", file)
	}
	return out, nil
}

// LoadSQuAD loads an English SQuAD v1.1 training file (rel, such as
// "squad-v1.1-train-en/train-v1.1.json") as one-language groups.
func LoadSQuAD(s *Store, name, rel, lang string) (*TrainCorpus, error) {
	qas, err := readSQuAD(s, rel)
	if err != nil {
		return nil, err
	}
	c := &TrainCorpus{Name: name, Groups: make([]TrainGroup, len(qas))}
	for i, qa := range qas {
		c.Groups[i] = TrainGroup{Key: qa.id, Queries: map[string]string{lang: qa.question}, Passages: map[string]string{lang: qa.sentence}, Answers: map[string]Answer{}}
		if qa.ok {
			c.Groups[i].Answers[lang] = qa.answer
		}
	}
	return c, nil
}

var mlqaName = regexp.MustCompile(`^[a-z]+-context-([a-z]+)-question-([a-z]+)\.json(\.gz)?$`)

// LoadMLQA loads the MLQA files in folder dir ("<split>-context-C-question-Q
// .json[.gz]") and joins them on QA id: a group's queries are the question in
// every Q, its passages the answer's sentence in every C. langs, if not
// empty, keeps only those languages.
func LoadMLQA(s *Store, name, dir string, langs []string) (*TrainCorpus, error) {
	folder, err := safepath.Join(s.Dir, dir)
	if err != nil {
		return nil, fmt.Errorf("MLQA folder: %w", err)
	}
	entries, err := os.ReadDir(folder)
	if err != nil {
		return nil, fmt.Errorf("MLQA folder: %w", err)
	}
	keep := func(l string) bool {
		if len(langs) == 0 {
			return true
		}
		for _, k := range langs {
			if k == l {
				return true
			}
		}
		return false
	}
	var files []string
	for _, e := range entries {
		if m := mlqaName.FindStringSubmatch(e.Name()); m != nil && keep(m[1]) && keep(m[2]) {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no *-context-C-question-Q.json[.gz] files in %s", filepath.Join(s.Dir, dir))
	}
	index := map[string]int{}
	c := &TrainCorpus{Name: name}
	for _, f := range files {
		m := mlqaName.FindStringSubmatch(f)
		ctxLang, qLang := m[1], m[2]
		qas, err := readSQuAD(s, dir+"/"+strings.TrimSuffix(f, ".gz"))
		if err != nil {
			return nil, err
		}
		for _, qa := range qas {
			i, ok := index[qa.id]
			if !ok {
				i = len(c.Groups)
				index[qa.id] = i
				c.Groups = append(c.Groups, TrainGroup{Key: qa.id, Queries: map[string]string{}, Passages: map[string]string{}, Answers: map[string]Answer{}})
			}
			c.Groups[i].Queries[qLang] = qa.question
			c.Groups[i].Passages[ctxLang] = qa.sentence
			if qa.ok {
				c.Groups[i].Answers[ctxLang] = qa.answer
			}
		}
	}
	return c, nil
}
