package conformance

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/xlbench/xlbench/plugins"
)

// readingExamples are synthetic training examples: the answer is the word
// after "is" in the passage.
func readingExamples() []plugins.ReadingExample {
	var out []plugins.ReadingExample
	for i := range 48 {
		w := words[(i*5)%len(words)]
		passage := sentence(i, 4) + " the answer is " + w + " today"
		start := len([]rune(sentence(i, 4) + " the answer is "))
		out = append(out, plugins.ReadingExample{Lang: "en", QuestionLang: "en", Question: "what is the answer " + fmt.Sprint(i),
			Passage: passage, AnswerStart: start, Answer: w})
	}
	return out
}

// readQueries are questions with three candidates each, one of them empty
// on every fifth query.
func readQueries(n int) []plugins.ReadQuery {
	out := make([]plugins.ReadQuery, n)
	for i := range out {
		q := plugins.ReadQuery{Question: "what is the answer " + fmt.Sprint(i), Lang: "en"}
		for k := range 3 {
			text := sentence(i+k, 5) + " the answer is " + words[(i+k)%len(words)] + " today"
			if i%5 == 0 && k == 2 {
				text = ""
			}
			q.Candidates = append(q.Candidates, plugins.ReadCandidate{Text: text, Lang: "en"})
		}
		out[i] = q
	}
	return out
}

const (
	checkQueries = 40
	timedQueries = 400
)

// configureAndRead configures r, trains it when it trains, and reads the
// check queries.
func (c *checker) configureAndRead(r plugins.Reader, params plugins.Params, qs []plugins.ReadQuery) ([]plugins.Answer, error) {
	if _, err := r.Configure(c.ctx, plugins.ReaderConfig{Params: params, Seed: 7}); err != nil {
		return nil, fmt.Errorf("Configure: %w", err)
	}
	if c.rep.Info.Trainable {
		res, err := r.Train(c.ctx, plugins.TrainReaderRequest{Examples: readingExamples()})
		if err != nil {
			return nil, fmt.Errorf("Train: %w", err)
		}
		for i, l := range res.Loss {
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				return nil, fmt.Errorf("Train: step %d has loss %v", i, l)
			}
		}
	}
	answers, err := r.Read(c.ctx, plugins.ReadRequest{Queries: qs})
	if err != nil {
		return nil, fmt.Errorf("Read: %w", err)
	}
	return answers, nil
}

func (c *checker) reader() {
	inst, ok := c.start("check", true)
	if !ok {
		return
	}
	r, err := inst.Reader()
	if err != nil || !c.describe(r.Describe) {
		inst.Kill()
		return
	}
	qs := readQueries(checkQueries)
	var base []plugins.Answer
	var baseErr error
	c.check("default params", func() error {
		if base, baseErr = c.configureAndRead(r, c.with(nil), qs); baseErr != nil {
			return fmt.Errorf("with no parameters: %w", baseErr)
		}
		explicit, err := c.configureAndRead(r, c.defaults(), qs)
		if err != nil {
			return fmt.Errorf("with every default given: %w", err)
		}
		if err := firstDiff(base, explicit, answersEqual); err != nil {
			return fmt.Errorf("answers with every default given differ from answers with none: %w", err)
		}
		return nil
	})
	c.refuses(func(p plugins.Params) error {
		_, err := r.Configure(c.ctx, plugins.ReaderConfig{Params: p, Seed: 7})
		return err
	})
	if baseErr != nil {
		c.shutdown(inst)
		return
	}
	c.check("answers", func() error { return validAnswers(qs, base) })
	second, ok := c.start("determinism", false)
	if ok {
		c.check("determinism", func() error {
			r2, err := second.Reader()
			if err != nil {
				return err
			}
			other, err := c.configureAndRead(r2, c.with(nil), qs)
			if err != nil {
				return fmt.Errorf("second process: %w", err)
			}
			if err := firstDiff(base, other, answersEqual); err != nil {
				return fmt.Errorf("a second process with the same seed: %w", err)
			}
			return nil
		})
	}
	if _, err := c.configureAndRead(r, c.with(nil), qs[:1]); err == nil {
		timed := readQueries(timedQueries)
		t := time.Now()
		if _, err := r.Read(c.ctx, plugins.ReadRequest{Queries: timed}); err == nil {
			c.figure("queries/s", len(timed), time.Since(t))
		}
	}
	c.shutdown(inst, second)
}

func answersEqual(a, b plugins.Answer) bool { return a == b }

// validAnswers checks one answer per query, from one of its candidates,
// whose text is that candidate's substring at the answer's start.
func validAnswers(qs []plugins.ReadQuery, as []plugins.Answer) error {
	if len(as) != len(qs) {
		return fmt.Errorf("%d answers for %d queries", len(as), len(qs))
	}
	for i, a := range as {
		if a.Candidate < 0 || a.Candidate >= len(qs[i].Candidates) {
			return fmt.Errorf("answer %d names candidate %d of %d", i, a.Candidate, len(qs[i].Candidates))
		}
		if math.IsNaN(a.Score) {
			return fmt.Errorf("answer %d has score NaN", i)
		}
		cand := []rune(qs[i].Candidates[a.Candidate].Text)
		text := []rune(a.Text)
		if a.Start < 0 || a.Start+len(text) > len(cand) || !slices.Equal(cand[a.Start:a.Start+len(text)], text) {
			return fmt.Errorf("answer %d reads %q at %d, which is not candidate %d's text there (%q)", i, a.Text, a.Start, a.Candidate, string(cand))
		}
	}
	return nil
}
