package runner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xlbench/xlbench/builtin/reader"
	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/harness/qa"
	"github.com/xlbench/xlbench/harness/train"
	"github.com/xlbench/xlbench/plugins"
)

// heldOutSlice reports whether a SQuAD question belongs to the benchmark's
// held-out slice: 2% of the questions, by a hash of their id.
func heldOutSlice(id string) bool {
	h := sha256.Sum256([]byte("reader-benchmark:" + id))
	return binary.BigEndian.Uint64(h[:8])%50 == 0
}

// heldOutMLQA reports whether an MLQA training instance belongs to the
// benchmark's held-out slice: 10% of the instances, by a hash of their id.
func heldOutMLQA(id string) bool {
	h := sha256.Sum256([]byte("reader-benchmark-mlqa:" + id))
	return binary.BigEndian.Uint64(h[:8])%10 == 0
}

// mlqaHeldOutLanguages are the passage languages of MLQA test-partial,
// where a question of the same language can be read against its passage.
// vi is held out of the reader's training altogether (as in the default
// experiment), so every vi instance stands for a language the reader has
// no training example in.
var mlqaHeldOutLanguages = []string{"de", "es", "vi", "zh"}

// BenchmarkReaderAccuracy trains builtin:reader with its default parameters
// on the default experiment's reading data (MLQA test-partial and SQuAD v1.1
// train, el and vi held out) less held-out slices of training data (2% of
// the SQuAD questions, 10% of the MLQA instances), then reports:
//
//   - for choosing settings, held-out training data only: F1 on the SQuAD
//     slice's gold sentences; per language, F1 on the MLQA slice's
//     same-language question and passage (de es zh), and on every vi
//     instance (vi is held out of training: a language the reader has no
//     example in); and their mean, heldout-mean-F1, by which settings are
//     chosen;
//   - the targets, never used to choose: XQuAD-R's gold sentences (each
//     question read from the sentence holding its answer, in its own
//     language), English and the mean over languages (≥ 0.55, ≥ 0.40),
//     and the SQuAD slice (≥ 0.60).
//
// XLBENCH_READER_PARAMS (k=v,… with numbers, true/false or strings)
// overrides parameters, for exploring; base = a builtin:gorgonia
// checkpoint, such as the default experiment's stage model
// (xlbench cell run -index 0 -out DIR specs/xquad-r.hcl writes it).
func BenchmarkReaderAccuracy(b *testing.B) {
	data := testenv.SharedData(b)
	store := &dataset.Store{Dir: data}
	mlqa, err := dataset.LoadMLQA(store, "mlqa", "mlqa-v1/test-partial", nil)
	if err != nil {
		b.Fatal(err)
	}
	squad, err := dataset.LoadSQuAD(store, "squad", "squad-v1.1-train-en/train-v1.1.json", "en")
	if err != nil {
		b.Fatal(err)
	}
	var slice []dataset.TrainGroup
	kept := &dataset.TrainCorpus{Name: "squad"}
	for _, g := range squad.Groups {
		if heldOutSlice(g.Key) {
			slice = append(slice, g)
		} else {
			kept.Groups = append(kept.Groups, g)
		}
	}
	var mlqaSlice []dataset.TrainGroup
	keptMLQA := &dataset.TrainCorpus{Name: mlqa.Name}
	for _, g := range mlqa.Groups {
		if heldOutMLQA(g.Key) {
			mlqaSlice = append(mlqaSlice, g)
		} else {
			keptMLQA.Groups = append(keptMLQA.Groups, g)
		}
	}
	corpus, err := train.Build([]*dataset.TrainCorpus{keptMLQA, kept}, []string{"el", "vi"}, 0)
	if err != nil {
		b.Fatal(err)
	}
	xq, err := dataset.LoadLAReQA(store, "xquad-r", "xquad-r", dataset.XQuADRLanguages)
	if err != nil {
		b.Fatal(err)
	}
	params := plugins.Params{}
	if s := os.Getenv("XLBENCH_READER_PARAMS"); s != "" {
		for _, kv := range strings.Split(s, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if v == "true" || v == "false" {
				params[k] = v == "true"
				continue
			}
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				params[k] = v // a string
				continue
			}
			params[k] = f
		}
	}
	for b.Loop() {
		r := reader.New()
		if _, err := r.Configure(context.Background(), plugins.ReaderConfig{Seed: 1, Params: params}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := r.Train(context.Background(), plugins.TrainReaderRequest{Examples: corpus.Reading})
		losses := res.Loss
		if err != nil {
			b.Fatal(err)
		}
		trainSeconds := time.Since(start).Seconds()
		// The held-out SQuAD slice, read from its gold sentences.
		var qs []plugins.ReadQuery
		var gold [][]string
		for _, g := range slice {
			qs = append(qs, plugins.ReadQuery{Question: g.Queries["en"], Lang: "en",
				Candidates: []plugins.ReadCandidate{{Text: g.Passages["en"], Lang: "en"}}})
			ans := []string{g.Answers["en"].Text}
			if ans[0] == "" {
				ans = nil
			}
			gold = append(gold, ans)
		}
		squadF1 := meanF1(b, r, qs, gold, "en")
		// The held-out MLQA instances, per language: question and passage
		// in that language (vi: every instance, never trained on).
		heldOut := map[string]float64{}
		for _, lang := range mlqaHeldOutLanguages {
			groups := mlqaSlice
			if lang == "vi" {
				groups = mlqa.Groups
			}
			qs, gold = nil, nil
			for _, g := range groups {
				q, okQ := g.Queries[lang]
				p, okP := g.Passages[lang]
				a, okA := g.Answers[lang]
				if !okQ || !okP || !okA || a.Text == "" {
					continue
				}
				qs = append(qs, plugins.ReadQuery{Question: q, Lang: lang, Candidates: []plugins.ReadCandidate{{Text: p, Lang: lang}}})
				gold = append(gold, []string{a.Text})
			}
			heldOut[lang] = meanF1(b, r, qs, gold, lang)
			b.Logf("held-out MLQA %s: %d questions", lang, len(qs))
		}
		selection := squadF1
		for _, lang := range mlqaHeldOutLanguages {
			selection += heldOut[lang]
		}
		selection /= float64(1 + len(mlqaHeldOutLanguages))
		// XQuAD-R gold sentences, per language.
		perLang := map[string]float64{}
		for _, lang := range xq.Languages {
			lo, hi := xq.QuestionRange(lang)
			qs, gold = nil, nil
			for i := lo; i < hi; i++ {
				q := &xq.Questions[i]
				if c := xq.RelevantIn(q, lang); c >= 0 {
					qs = append(qs, plugins.ReadQuery{Question: q.Text, Lang: lang,
						Candidates: []plugins.ReadCandidate{{Text: xq.Candidates[c].Text, Lang: lang}}})
					gold = append(gold, q.Answers)
				}
			}
			perLang[lang] = meanF1(b, r, qs, gold, lang)
		}
		mean := 0.0
		for _, f := range perLang {
			mean += f
		}
		mean /= float64(len(perLang))
		b.ReportMetric(selection, "heldout-mean-F1")
		for _, lang := range mlqaHeldOutLanguages {
			b.ReportMetric(heldOut[lang], "mlqa-heldout-"+lang+"-F1")
		}
		b.ReportMetric(squadF1, "squad-heldout-F1")
		b.ReportMetric(perLang["en"], "xquadr-en-F1")
		b.ReportMetric(mean, "xquadr-mean-F1")
		b.ReportMetric(trainSeconds, "train-s")
		b.ReportMetric(float64(len(losses)), "steps")
		var sb strings.Builder
		for _, lang := range xq.Languages {
			fmt.Fprintf(&sb, "%s %.3f  ", lang, perLang[lang])
		}
		b.Logf("XQuAD-R gold-sentence F1 per language: %s", sb.String())
		b.Logf("loss: first 100 steps %.3f, last 100 steps %.3f", mean32(losses[:min(100, len(losses))]), mean32(losses[max(0, len(losses)-100):]))
	}
}

func meanF1(b *testing.B, r *reader.Reader, qs []plugins.ReadQuery, gold [][]string, lang string) float64 {
	answers, err := r.Read(context.Background(), plugins.ReadRequest{Queries: qs})
	if err != nil {
		b.Fatal(err)
	}
	// Questions whose answer runs past its sentence have no gold answer in
	// it; they are not scored.
	sum, n := 0.0, 0
	for i, a := range answers {
		if len(gold[i]) == 0 {
			continue
		}
		_, f1 := qa.Best(a.Text, gold[i], lang)
		sum, n = sum+f1, n+1
	}
	return sum / float64(max(1, n))
}

func mean32(xs []float32) float64 {
	s := 0.0
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(max(1, len(xs)))
}
