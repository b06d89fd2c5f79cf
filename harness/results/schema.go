package results

import (
	"math"

	"github.com/xlbench/xlbench/harness/metrics"
)

// Setting is an evaluation setting: which candidates a query is ranked
// against (docs/methods.md, "Metrics").
type Setting string

// The evaluation settings: each query against the candidates of its own
// language, against one other language's, and against every language's.
const (
	Mono  Setting = "mono"
	Cross Setting = "cross"
	Multi Setting = "multi"
)

// Settings lists the settings in table order.
var Settings = []Setting{Mono, Cross, Multi}

// Scores are metric values by metric: a pool's, or a setting's summary.
type Scores map[metrics.Name]float64

// Pool holds the averaged metrics of one pool.
type Pool struct {
	QueryLang string `json:"query_lang"`
	CandLang  string `json:"candidate_lang"`
	Queries   int    `json:"queries"`
	Metrics   Scores `json:"metrics"`
}

// Training is what a trained cell's training left: its length, losses,
// validation curve and the languages its batches reached.
type Training struct {
	Steps          int     `json:"steps"`
	BatchSize      int     `json:"batch_size"`
	Pairs          int     `json:"pairs"`
	Seconds        float64 `json:"seconds"`
	PairsPerSecond float64 `json:"pairs_per_second"`
	// Loss of every step, in order.
	Loss []float32 `json:"loss"`
	// MonolingualBatches counts batches whose pairs are all in one
	// language; MonolingualShare is their share of all batches.
	MonolingualBatches int     `json:"monolingual_batches"`
	MonolingualShare   float64 `json:"monolingual_share"`
	// BatchLanguages counts monolingual batches per language;
	// PairLanguages counts pairs per "query-passage" language pair.
	BatchLanguages map[string]int `json:"batch_languages"`
	PairLanguages  map[string]int `json:"pair_languages"`
	// Validation is the validation loss over training, when measured.
	Validation []ValidationPoint `json:"validation,omitempty"`
	// ValidationPairs is the number of pairs it is measured on.
	ValidationPairs int `json:"validation_pairs,omitempty"`
	// Feedbacks counts the feedback messages sent to an observing sampler.
	Feedbacks    int            `json:"feedbacks,omitempty"`
	Groups       int            `json:"groups"`
	QueryLangs   map[string]int `json:"query_langs"`
	PassageLangs map[string]int `json:"passage_langs"`
}

// FinalLoss is the mean loss of the last n steps (one step's loss is noisy),
// NaN before any step.
func (r *Training) FinalLoss(n int) float64 {
	if len(r.Loss) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, v := range r.Loss[max(0, len(r.Loss)-n):] {
		s += float64(v)
	}
	return s / float64(min(n, len(r.Loss)))
}

// ValidationPoint is the validation loss after Step training steps.
type ValidationPoint struct {
	Step int     `json:"step"`
	Loss float64 `json:"loss"`
}

// LowestValidation is the validation point with the lowest loss (the
// first of equals); ok is false when none was measured.
func (r *Training) LowestValidation() (best ValidationPoint, ok bool) {
	for i, p := range r.Validation {
		if i == 0 || p.Loss < best.Loss {
			best = p
		}
	}
	return best, len(r.Validation) > 0
}
