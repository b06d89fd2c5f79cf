package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LAReQA JSON: SQuAD v1.1 layout plus, per paragraph, the sentence split as
// `sentences` and `sentence_breaks` ([start, end) offsets in characters, as
// Python counts them: Unicode code points).
type lareqaArticle struct {
	Paragraphs []struct {
		Context        string        `json:"context"`
		Sentences      []string      `json:"sentences"`
		SentenceBreaks [][]int       `json:"sentence_breaks"`
		QAs            []squadRecord `json:"qas"`
	} `json:"paragraphs"`
}

// LoadLAReQA loads a LAReQA-format dataset (XQuAD-R, MLQA-R) from the folder
// dir of the store, one file per language, "<dir>/<lang>.json" or ".json.gz".
//
// Candidates are all sentences of all paragraphs. A question's relevant
// candidate in its own file is the sentence whose span holds the answer's
// answer_start; its relevant candidates in the collection are those
// sentences in every language, joined by question id.
func LoadLAReQA(s *Store, name, dir string, langs []string) (*Collection, error) {
	c := &Collection{Name: name, Languages: langs, cands: map[string]span{}, questions: map[string]span{}}
	// Relevant sentence of each question id, per language.
	gold := map[string]map[string]int{}
	for _, lang := range langs {
		rel := dir + "/" + lang + ".json"
		rc, file, err := s.Open(rel)
		if err != nil {
			return nil, err
		}
		err = c.addLanguage(rc, lang, gold)
		if err != nil {
			err = describe(file, err, func() (io.ReadCloser, error) { rc, _, err := s.Open(rel); return rc, err })
		}
		rc.Close()
		if err != nil {
			return nil, err
		}
	}
	for _, byLang := range gold {
		if len(byLang) < len(langs) {
			c.Partial++
		}
	}
	for i := range c.Questions {
		q := &c.Questions[i]
		for _, lang := range langs {
			if r, ok := gold[q.ID][lang]; ok {
				q.Relevant = append(q.Relevant, r)
				q.RelevantIDs = append(q.RelevantIDs, c.Candidates[r].ID)
			}
		}
	}
	return c, nil
}

// addLanguage adds the candidates and questions of one language's file,
// streamed article by article; errors name records, and the caller the
// file.
func (c *Collection) addLanguage(r io.Reader, lang string, gold map[string]map[string]int) error {
	cs, qs := span{lo: len(c.Candidates)}, span{lo: len(c.Questions)}
	seen := map[string]string{}
	n, err := decodeArticles(r, func(ai int, art *lareqaArticle) error {
		for pi, para := range art.Paragraphs {
			rec := fmt.Sprintf("data[%d].paragraphs[%d]", ai, pi)
			if len(para.Sentences) == 0 {
				return fmt.Errorf("%s: no sentences", rec)
			}
			if len(para.SentenceBreaks) != len(para.Sentences) {
				return fmt.Errorf("%s: %d sentences but %d sentence_breaks", rec, len(para.Sentences), len(para.SentenceBreaks))
			}
			n := len([]rune(para.Context))
			first := len(c.Candidates)
			for si, br := range para.SentenceBreaks {
				if len(br) != 2 || br[0] < 0 || br[0] > br[1] || br[1] > n {
					return fmt.Errorf("%s.sentence_breaks[%d]: %v is not a span of the %d-character context", rec, si, br, n)
				}
				c.Candidates = append(c.Candidates, Candidate{
					ID:      fmt.Sprintf("%s:%d-%d-%d", lang, ai, pi, si),
					Lang:    lang,
					Text:    para.Sentences[si],
					Context: para.Context,
				})
			}
			for qi, qa := range para.QAs {
				qrec := fmt.Sprintf("%s.qas[%d] (id %q)", rec, qi, qa.ID)
				if qa.ID == "" {
					return fmt.Errorf("%s: missing id", qrec)
				}
				if prev, dup := seen[qa.ID]; dup {
					return fmt.Errorf("%s: id also used at %s", qrec, prev)
				}
				seen[qa.ID] = qrec
				if len(qa.Answers) == 0 {
					return fmt.Errorf("%s: no answers", qrec)
				}
				start := qa.Answers[0].AnswerStart
				sent := -1
				for si, br := range para.SentenceBreaks {
					if br[0] <= start && start < br[1] {
						sent = si
						break
					}
				}
				if sent < 0 {
					return fmt.Errorf("%s: answer_start %d lies in no sentence of the paragraph", qrec, start)
				}
				q := Question{ID: qa.ID, Lang: lang, Text: qa.Question}
				for _, a := range qa.Answers {
					q.Answers = append(q.Answers, a.Text)
				}
				c.Questions = append(c.Questions, q)
				if gold[qa.ID] == nil {
					gold[qa.ID] = map[string]int{}
				}
				gold[qa.ID][lang] = first + sent
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return errors.New("no records under \"data\"")
	}
	cs.hi, qs.hi = len(c.Candidates), len(c.Questions)
	c.cands[lang], c.questions[lang] = cs, qs
	return nil
}

// DescribeJSONError turns a decoding error of raw into "line L, column C:
// invalid JSON: …".
func DescribeJSONError(raw []byte, err error) string {
	var je *jsonError
	if !errors.As(wrapJSON(err, 0), &je) {
		return "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
	}
	msg := "invalid JSON: " + strings.TrimPrefix(je.err.Error(), "json: ")
	if je.off < 0 || je.off > int64(len(raw)) {
		return msg
	}
	line, col := position(bytes.NewReader(raw), je.off, false)
	return fmt.Sprintf("line %d, column %d: %s", line, col, msg)
}
