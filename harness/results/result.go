// Package results owns what a run stores: the schema of a cell's result,
// its per-query values, the inputs that hash to its cell id, the verify
// stamps, and the layout of a results directory. Every command reads
// stored results through its validating reader.
package results

import (
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/plugins"
)

// ResultFile is the name of a cell's result under OUT/<experiment>/<cell>/.
const ResultFile = "result.json"

// Component records the plugin behind an encoder or sampler.
type Component struct {
	Name          string         `json:"name"`
	Plugin        string         `json:"plugin"`
	PluginName    string         `json:"plugin_name"`
	PluginVersion string         `json:"plugin_version"`
	Params        plugins.Params `json:"params"`
	// Languages restricts a sampler's pairs (spec attribute languages).
	Languages []string `json:"languages,omitempty"`
	// TunedBy is how the spec says a sampler's training length was chosen
	// (spec attribute tuned_by); empty when it does not say. A
	// declaration, not an input: it is not part of the cell id.
	TunedBy string `json:"tuned_by,omitempty"`
}

// DatasetInfo records the size of an evaluated dataset.
type DatasetInfo struct {
	Languages  []string `json:"languages"`
	Questions  int      `json:"questions"`
	Candidates int      `json:"candidates"`
}

// PhaseNames are a cell's phases in the order they run: waiting for its
// pretraining stage, starting and configuring the encoder, loading data,
// training, encoding the evaluation texts, ranking (with the retrieval
// metrics), reading the answers (with any wait for the reader's
// training), and storing the result.
var PhaseNames = []string{"stage", "start", "load", "train", "encode", "rank", "read", "store"}

// Phase is the time a cell spent in one phase: wall seconds, and the CPU
// seconds the cell's encoder process used meanwhile (the host's and the
// reader's CPU are shared by the cells of a run, and reported per run).
type Phase struct {
	Name              string  `json:"name"`
	WallSeconds       float64 `json:"wall_s"`
	EncoderCPUSeconds float64 `json:"encoder_cpu_s,omitempty"`
}

// CellResult is what one cell of the matrix produced.
type CellResult struct {
	XLBenchVersion string     `json:"xlbench_version"`
	Experiment     string     `json:"experiment"`
	Cell           string     `json:"cell"`
	Encoder        Component  `json:"encoder"`
	Sampler        *Component `json:"sampler,omitempty"`
	Seed           uint64     `json:"seed"`
	// Training is the training record of a trained cell.
	Training *Training `json:"training,omitempty"`
	// Stage is the pretraining stage the encoder started from, if any.
	Stage *StageInfo `json:"stage,omitempty"`
	// HeldOut lists the languages removed from the training data.
	HeldOut []string `json:"held_out,omitempty"`
	// Baseline names the sampler the experiment's rows are tested against.
	Baseline string `json:"baseline,omitempty"`
	// Plan lists every cell of the experiment, so that tables built from
	// stored results can say which are missing.
	Plan []string `json:"plan,omitempty"`
	// PerQuerySHA256 is the sha256 of the per-query file written with this
	// result: the pair is published together, and a per-query file left
	// by another run (an interrupted rerun) is refused, not mixed in.
	PerQuerySHA256 string `json:"per_query_sha256,omitempty"`
	// Reading describes the reader of a cell with retrieve-then-read
	// metrics (em, f1 in Metrics).
	Reading *Reading `json:"reading,omitempty"`
	// CellID hashes everything that decides the result (Manifest.Inputs):
	// a stored result with the same id is the result a rerun would give.
	CellID      string    `json:"cell_id,omitempty"`
	Manifest    *Manifest `json:"manifest,omitempty"`
	Complete    bool      `json:"complete"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	WallSeconds float64   `json:"wall_seconds"`
	// Phases splits WallSeconds by what the cell was doing (PhaseNames).
	Phases   []Phase                `json:"phases,omitempty"`
	Datasets map[string]DatasetInfo `json:"datasets"`
	// Metrics is keyed dataset → setting → metric.
	Metrics map[string]map[Setting]Scores `json:"metrics"`
	// Pools is keyed dataset → setting → pool.
	Pools map[string]map[Setting]map[lang.PoolKey]Pool `json:"pools"`
	// PerQuery holds each query's average precision, EM and F1 by dataset
	// and Series. It is stored beside the result in PerQueryFile and loaded
	// by the reader.
	PerQuery PerQuery `json:"-"`
	// Stored is where the result was read from, set by the reader.
	Stored Stored `json:"-"`
}

// Stored is a result's place in a results directory and the sha256 of
// its result.json as read: what a verify stamp binds its verdict to, and
// what tells an identical copy of a cell from an altered one.
type Stored struct {
	Dir          string // the results directory
	ResultSHA256 string
}

// Path is the result's file.
func (s Stored) Path(r *CellResult) string {
	return filepath.Join(s.Dir, r.Experiment, r.Cell, ResultFile)
}

// StageInfo identifies the pretraining stage a cell's encoder started from
// and the languages the stage trained on.
type StageInfo struct {
	Experiment   string         `json:"experiment"`
	Cell         string         `json:"cell"`
	CellID       string         `json:"cell_id"`
	QueryLangs   map[string]int `json:"query_langs,omitempty"`
	PassageLangs map[string]int `json:"passage_langs,omitempty"`
}

// Manifest records what a cell was computed from and where.
type Manifest struct {
	// Inputs is the hashed description of the cell (package runner).
	Inputs  json.RawMessage `json:"inputs"`
	Machine Machine         `json:"machine"`
	// Specs are the spec files the run was given and Locks the lock files
	// beside them, with their sha256 when it ran: provenance, not part of
	// the cell id (a comment in a spec changes nothing).
	Specs []FileHash `json:"specs,omitempty"`
	Locks []FileHash `json:"locks,omitempty"`
	// RunBy is who ran the cell, as the run was told (xlbench run -by;
	// by default the git identity of the folder it ran in, else
	// user@host): the submitter the leaderboard names.
	RunBy string `json:"run_by,omitempty"`
}

// Machine describes the machine a cell ran on.
type Machine struct {
	Hostname  string `json:"hostname"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
}

// Reading is the reader behind a cell's EM and F1.
type Reading struct {
	Reader Component `json:"reader"`
	// TopK candidates are read per question and pool; the best-scoring
	// answer counts.
	TopK          int `json:"top_k"`
	TrainingSteps int `json:"training_steps"`
	// Oracle holds, per dataset, EM and F1 read from each question's gold
	// sentence: reading error without retrieval error.
	Oracle map[string]Scores `json:"oracle"`
}

// PerQueryFile holds a cell's per-query values in the compact record of
// perquery.go; legacyPerQueryFile is the keyed JSON of results written
// before it, no longer read.
const (
	PerQueryFile       = "per-query.bin.gz"
	legacyPerQueryFile = "per-query.json.gz"
)

// RecordedInputs is what the result records it was computed from (the
// inputs its cell id hashes); ok is false for a result that records none.
func (r *CellResult) RecordedInputs() (in Inputs, ok bool) {
	if r.Manifest == nil || json.Unmarshal(r.Manifest.Inputs, &in) != nil {
		return in, false
	}
	return in, true
}

// Row is the table row a result belongs to: seeds of one encoder and
// sampler pair are aggregated.
func (r *CellResult) Row() string {
	if r.Sampler == nil {
		return r.Encoder.Name
	}
	return r.Encoder.Name + " × " + r.Sampler.Name
}

// Write stores r under out/<experiment>/<cell>/result.json atomically: a
// reader sees the whole file or none. Only complete results are written.
func Write(out string, r *CellResult) (string, error) {
	if !r.Complete {
		return "", fmt.Errorf("refusing to store the incomplete result of cell %s", r.Cell)
	}
	dir, err := CellDir(out, r.Experiment, r.Cell)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".result-*.json")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, ResultFile)
	return path, os.Rename(tmp.Name(), path)
}

// Missing lists, per experiment, the cells its results' plans name but
// that are not among rs (an interrupted or partly failed run), sorted.
// Results from before plans were recorded say nothing.
func Missing(rs []*CellResult) map[string][]string {
	have := map[string]map[string]bool{}
	planned := map[string]map[string]bool{}
	for _, r := range rs {
		if have[r.Experiment] == nil {
			have[r.Experiment], planned[r.Experiment] = map[string]bool{}, map[string]bool{}
		}
		have[r.Experiment][r.Cell] = true
		for _, c := range r.Plan {
			planned[r.Experiment][c] = true
		}
	}
	out := map[string][]string{}
	for e, cells := range planned {
		for c := range cells {
			if !have[e][c] {
				out[e] = append(out[e], c)
			}
		}
		slices.Sort(out[e])
	}
	return out
}

// WritePerQuery stores per-query average precision beside r's result and
// records the file's sha256 in r (write r after it).
func WritePerQuery(out string, r *CellResult, perQuery PerQuery) error {
	dir, err := CellDir(out, r.Experiment, r.Cell)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".per-query-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	z, _ := gzip.NewWriterLevel(io.MultiWriter(tmp, h), gzip.BestCompression)
	if err := encodePerQuery(z, perQuery); err != nil {
		tmp.Close()
		return err
	}
	if err := z.Close(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	r.PerQuerySHA256 = hex.EncodeToString(h.Sum(nil))
	return os.Rename(tmp.Name(), filepath.Join(dir, PerQueryFile))
}

// Difference is one metric of a cell that differs between two results.
type Difference struct {
	Cell, Dataset string
	Setting       Setting
	Metric        metrics.Name
	Want, Got     float64
}

// Compare lists the metrics of got that differ from want by more than tol
// (absolute for metrics up to 1, relative above: rank distance), and the
// metrics one has and the other lacks (as NaN).
func Compare(want, got *CellResult, tol float64) []Difference {
	var out []Difference
	type key struct {
		dataset string
		setting Setting
		metric  metrics.Name
	}
	keys := func(m map[string]map[Setting]Scores) map[key]float64 {
		flat := map[key]float64{}
		for d, ss := range m {
			for s, ms := range ss {
				for k, v := range ms {
					flat[key{d, s, k}] = v
				}
			}
		}
		return flat
	}
	w, g := keys(want.Metrics), keys(got.Metrics)
	seen := map[key]bool{}
	for k, wv := range w {
		seen[k] = true
		gv, ok := g[k]
		if !ok {
			gv = math.NaN()
		}
		if !ok || deviation(wv, gv) > tol {
			out = append(out, Difference{want.Cell, k.dataset, k.setting, k.metric, wv, gv})
		}
	}
	for k, gv := range g {
		if !seen[k] {
			out = append(out, Difference{want.Cell, k.dataset, k.setting, k.metric, math.NaN(), gv})
		}
	}
	slices.SortFunc(out, func(a, b Difference) int {
		return cmp.Or(cmp.Compare(a.Dataset, b.Dataset), cmp.Compare(a.Setting, b.Setting), cmp.Compare(a.Metric, b.Metric))
	})
	return out
}

// deviation is how far got is from want: absolute for values up to 1,
// relative above.
func deviation(want, got float64) float64 {
	return math.Abs(got-want) / math.Max(1, math.Abs(want))
}
