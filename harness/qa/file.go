package qa

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xlbench/xlbench/harness/dataset"
)

// Scores are the answer-level scores of a predictions file, in percent, as
// the official scripts print them.
type Scores struct {
	ExactMatch float64 `json:"exact_match"`
	F1         float64 `json:"f1"`
	// Questions is the number of questions in the dataset, Answered the
	// number the predictions answer (the rest score 0).
	Questions int `json:"-"`
	Answered  int `json:"-"`
}

// squadLayout is what scoring needs of a SQuAD-layout file.
type squadLayout struct {
	Data []struct {
		Paragraphs []struct {
			QAs []struct {
				ID      string `json:"id"`
				Answers []struct {
					Text string `json:"text"`
				} `json:"answers"`
			} `json:"qas"`
		} `json:"paragraphs"`
	} `json:"data"`
}

// Gold reads the gold answers of a SQuAD-layout dataset file (.json or
// .json.gz): question id → answer texts.
func Gold(path string, maxBytes int64) (map[string][]string, []string, error) {
	raw, err := dataset.ReadFile(path, maxBytes)
	if err != nil {
		return nil, nil, err
	}
	var f squadLayout
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, nil, fmt.Errorf("%s: %s", path, dataset.DescribeJSONError(raw, err))
	}
	gold := map[string][]string{}
	var order []string
	for ai, art := range f.Data {
		for pi, para := range art.Paragraphs {
			for qi, q := range para.QAs {
				where := fmt.Sprintf("%s: data[%d].paragraphs[%d].qas[%d]", path, ai, pi, qi)
				if q.ID == "" {
					return nil, nil, fmt.Errorf("%s: no id", where)
				}
				if _, dup := gold[q.ID]; dup {
					return nil, nil, fmt.Errorf("%s: id %q appears twice", where, q.ID)
				}
				if len(q.Answers) == 0 {
					return nil, nil, fmt.Errorf("%s (id %q): no answers", where, q.ID)
				}
				for _, a := range q.Answers {
					gold[q.ID] = append(gold[q.ID], a.Text)
				}
				order = append(order, q.ID)
			}
		}
	}
	if len(order) == 0 {
		return nil, nil, fmt.Errorf("%s: no questions", path)
	}
	return gold, order, nil
}

// Predictions reads a predictions file, a JSON object from question id to
// answer text, streamed: only the answers whose id keep accepts are kept
// (a scorer keeps its dataset's), so memory is that of what is scored,
// not of the file. The file must be UTF-8.
func Predictions(path string, keep func(id string) bool, maxBytes int64) (map[string]string, error) {
	r, err := dataset.OpenFile(path, maxBytes)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	dec := json.NewDecoder(r)
	fail := func(err error) error {
		if dataset.NamesFile(err, path) {
			return err // the reader's: invalid UTF-8
		}
		return fmt.Errorf("%s: at byte %d: %v", path, dec.InputOffset(), err)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s: want a JSON object of question id → answer, got %v", path, tok)
	}
	preds := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		id := tok.(string)
		var answer string
		if err := dec.Decode(&answer); err != nil {
			return nil, fail(fmt.Errorf("the answer of %.60q: %v", id, err))
		}
		if keep == nil || keep(id) {
			preds[id] = answer
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(errors.New("data after the predictions object"))
	}
	return preds, nil
}

// Score scores predictions against gold answers in lang: the mean of each
// question's best EM and best F1, in percent; unanswered questions score 0,
// predictions for unknown ids are ignored (as the official scripts do).
func Score(gold map[string][]string, ids []string, preds map[string]string, lang string) Scores {
	s := Scores{Questions: len(ids)}
	for _, id := range ids {
		p, ok := preds[id]
		if !ok {
			continue
		}
		s.Answered++
		em, f1 := Best(p, gold[id], lang)
		s.ExactMatch += em
		s.F1 += f1
	}
	if n := float64(len(ids)); n > 0 {
		s.ExactMatch, s.F1 = 100*s.ExactMatch/n, 100*s.F1/n
	}
	return s
}

// ScoreFiles scores a predictions file against a dataset file in lang.
func ScoreFiles(datasetPath, predictionsPath, lang string, maxBytes int64) (Scores, error) {
	if !Known(lang) {
		return Scores{}, fmt.Errorf("no answer-normalisation rules for language %q (have %s)", lang, strings.Join(Languages, " "))
	}
	gold, ids, err := Gold(datasetPath, maxBytes)
	if err != nil {
		return Scores{}, err
	}
	preds, err := Predictions(predictionsPath, func(id string) bool { _, ok := gold[id]; return ok }, maxBytes)
	if err != nil {
		return Scores{}, err
	}
	return Score(gold, ids, preds, lang), nil
}
