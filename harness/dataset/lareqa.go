package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// LAReQA JSON: SQuAD v1.1 layout plus, per paragraph, the sentence split as
// `sentences` and `sentence_breaks` ([start, end) offsets in characters, as
// Python counts them: Unicode code points).
type lareqaFile struct {
	Data []struct {
		Title      string `json:"title"`
		Paragraphs []struct {
			Context        string        `json:"context"`
			Sentences      []string      `json:"sentences"`
			SentenceBreaks [][]int       `json:"sentence_breaks"`
			QAs            []squadRecord `json:"qas"`
		} `json:"paragraphs"`
	} `json:"data"`
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
		rc, file, err := s.Open(dir + "/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		err = c.addLanguage(rc, file, lang, gold)
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

func (c *Collection) addLanguage(r io.Reader, file, lang string, gold map[string]map[string]int) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var f lareqaFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("%s: %s", file, DescribeJSONError(raw, err))
	}
	if len(f.Data) == 0 {
		return fmt.Errorf("%s: no records under \"data\"", file)
	}
	cs, qs := span{lo: len(c.Candidates)}, span{lo: len(c.Questions)}
	seen := map[string]string{}
	for ai, art := range f.Data {
		for pi, para := range art.Paragraphs {
			rec := fmt.Sprintf("data[%d].paragraphs[%d]", ai, pi)
			if len(para.Sentences) == 0 {
				return fmt.Errorf("%s: %s: no sentences", file, rec)
			}
			if len(para.SentenceBreaks) != len(para.Sentences) {
				return fmt.Errorf("%s: %s: %d sentences but %d sentence_breaks", file, rec, len(para.Sentences), len(para.SentenceBreaks))
			}
			n := len([]rune(para.Context))
			first := len(c.Candidates)
			for si, br := range para.SentenceBreaks {
				if len(br) != 2 || br[0] < 0 || br[0] > br[1] || br[1] > n {
					return fmt.Errorf("%s: %s.sentence_breaks[%d]: %v is not a span of the %d-character context", file, rec, si, br, n)
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
					return fmt.Errorf("%s: %s: missing id", file, qrec)
				}
				if prev, dup := seen[qa.ID]; dup {
					return fmt.Errorf("%s: %s: id also used at %s", file, qrec, prev)
				}
				seen[qa.ID] = qrec
				if len(qa.Answers) == 0 {
					return fmt.Errorf("%s: %s: no answers", file, qrec)
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
					return fmt.Errorf("%s: %s: answer_start %d lies in no sentence of the paragraph", file, qrec, start)
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
	}
	cs.hi, qs.hi = len(c.Candidates), len(c.Questions)
	c.cands[lang], c.questions[lang] = cs, qs
	return nil
}

// DescribeJSONError turns a decoding error of raw into "line L, column C:
// invalid JSON: …".
func DescribeJSONError(raw []byte, err error) string {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
		if typ.Field == "" {
			err = fmt.Errorf("a JSON %s where %s belongs", typ.Value, typ.Type)
		} else {
			err = fmt.Errorf("field %s: cannot hold a JSON %s", typ.Field, typ.Value)
		}
	}
	if off < 0 || off > int64(len(raw)) {
		return "invalid JSON: " + err.Error()
	}
	before := raw[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return fmt.Sprintf("line %d, column %d: invalid JSON: %s", line, col, strings.TrimPrefix(err.Error(), "json: "))
}
