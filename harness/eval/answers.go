package eval

import (
	"context"
	"slices"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/qa"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk/parallel"
)

// answerIndex holds what has-answer@k compares, normalised once: every
// candidate's tokens and every question's gold answers per language. The
// gold answer for a candidate is the answer in the candidate's language:
// the collection is parallel, and a question's translations share its id.
// has-answer@k compares tokens as ids of one vocabulary (two tokens have
// one id exactly when they are the same string), which is what a ranking's
// hundred candidates per question are searched with.
type answerIndex struct {
	c     *dataset.Collection
	cands [][]int32                       // token ids; nil for a language without rules
	gold  map[string]map[string][][]int32 // question id → language → answers' token ids
	// answers holds, per question id and language, the tokens of the
	// answers EM and F1 compare with: the last question's of that id and
	// language (gold gathers every one's).
	answers map[string]map[string][][]string
}

func newAnswerIndex(c *dataset.Collection) *answerIndex {
	ix := &answerIndex{c: c, cands: make([][]int32, len(c.Candidates)), gold: map[string]map[string][][]int32{},
		answers: map[string]map[string][][]string{}}
	tokens := make([][]string, len(c.Candidates))
	parallel.For(len(c.Candidates), func(i int) {
		if cand := &c.Candidates[i]; qa.Known(cand.Lang) {
			tokens[i] = qa.Tokens(cand.Text, cand.Lang)
		}
	})
	vocab := map[string]int32{}
	ids := func(ts []string) []int32 {
		out := make([]int32, len(ts))
		for i, t := range ts {
			id, ok := vocab[t]
			if !ok {
				id = int32(len(vocab))
				vocab[t] = id
			}
			out[i] = id
		}
		return out
	}
	for i, ts := range tokens {
		if ts != nil {
			ix.cands[i] = ids(ts)
		}
	}
	for _, q := range c.Questions {
		if !qa.Known(q.Lang) {
			continue
		}
		byLang := ix.gold[q.ID]
		if byLang == nil {
			byLang = map[string][][]int32{}
			ix.gold[q.ID] = byLang
		}
		answers := make([][]string, len(q.Answers))
		for k, a := range q.Answers {
			answers[k] = qa.Tokens(a, q.Lang)
			byLang[q.Lang] = append(byLang[q.Lang], ids(answers[k]))
		}
		if ix.answers[q.ID] == nil {
			ix.answers[q.ID] = map[string][][]string{}
		}
		ix.answers[q.ID][q.Lang] = answers
	}
	return ix
}

// score is the EM and F1 of an answer read from one of cands (collection
// indices): against q's gold answers in the language of the candidate it
// came from, by that language's rules. No candidates, or no gold answer in
// that language, scores 0.
func (ix *answerIndex) score(q *dataset.Question, cands []int, a plugins.Answer) (em, f1 float64) {
	if a.Candidate < 0 || a.Candidate >= len(cands) {
		return 0, 0
	}
	lang := ix.c.Candidates[cands[a.Candidate]].Lang
	if !qa.Known(lang) {
		return 0, 0
	}
	return qa.BestTokens(qa.Tokens(a.Text, lang), ix.answers[q.ID][lang])
}

// firstAnswer returns the 1-based rank, within top (a pool's best
// candidates, best first, indices from offset in the collection), of the
// first candidate that contains a gold answer of q in its language, or 0.
func (ix *answerIndex) firstAnswer(q *dataset.Question, top []Ranked, offset int) int {
	golds := ix.gold[q.ID]
	for r, t := range top {
		i := offset + t.Index
		if containsRun(ix.cands[i], golds[ix.c.Candidates[i].Lang]) {
			return r + 1
		}
	}
	return 0
}

// containsRun is qa.ContainsAnswer on token ids: whether one of golds is a
// contiguous run of text (an empty answer never is).
func containsRun(text []int32, golds [][]int32) bool {
	for _, gt := range golds {
		if len(gt) == 0 || len(gt) > len(text) {
			continue
		}
		for i := 0; i+len(gt) <= len(text); i++ {
			if text[i] == gt[0] && slices.Equal(text[i:i+len(gt)], gt) {
				return true
			}
		}
	}
	return false
}

// Oracle reads every question of c from its gold sentence (the relevant
// candidate in the question's language) and returns the mean EM and F1:
// reading error alone, no retrieval error. Questions in a language without
// scoring rules count 0.
func Oracle(ctx context.Context, rd Reader, c *dataset.Collection) (results.Scores, error) {
	var qs []*dataset.Question
	var cands [][]int
	for i := range c.Questions {
		q := &c.Questions[i]
		if ci := c.RelevantIn(q, q.Lang); ci >= 0 {
			qs, cands = append(qs, q), append(cands, []int{ci})
		}
	}
	answers, err := rd.Read(ctx, c, qs, cands)
	if err != nil {
		return nil, err
	}
	var em, f1 float64
	for i, q := range qs {
		if !qa.Known(q.Lang) {
			continue
		}
		e, f := qa.Best(answers[i].Text, q.Answers, q.Lang)
		em, f1 = em+e, f1+f
	}
	n := float64(max(1, len(qs)))
	return results.Scores{metrics.EM: em / n, metrics.F1: f1 / n}, nil
}
