package eval

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/results"
)

// TRECWriter writes one TREC run and its qrels per setting of one dataset:
// DIR/<dataset>-<setting>.trec with lines "qid Q0 docid rank score tag" and
// DIR/<dataset>-<setting>.qrels with lines "qid 0 docid 1".
//
// In mono and cross a query appears once per pool with qid
// "<qlang>-<clang>:<question id>"; in multi, "<qlang>:<question id>".
// Scores are written exactly (shortest float32 form), so reading the run
// back gives the same ties and trec_eval the same order.
type TRECWriter struct {
	dir, dataset, tag string
	depth             int
	files             map[results.Setting]*trecFiles
}

type trecFiles struct {
	run, qrels       *os.File
	runBuf, qrelsBuf *bufio.Writer
}

// NewTRECWriter writes runs for dataset under dir, tagged tag, each ranking
// cut to depth (0 = full).
func NewTRECWriter(dir, dataset, tag string, depth int) (*TRECWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &TRECWriter{dir: dir, dataset: dataset, tag: tag, depth: depth, files: map[results.Setting]*trecFiles{}}, nil
}

// Depth is the ranking depth.
func (w *TRECWriter) Depth() int { return w.depth }

// Ranking writes one query's ranking and its qrels.
func (w *TRECWriter) Ranking(setting results.Setting, qlang, clang string, q *dataset.Question, cands []Ranked, ids []string) error {
	f, err := w.open(setting)
	if err != nil {
		return err
	}
	qid := qlang + ":" + q.ID
	if setting != Multi {
		qid = lang.PoolKey{Query: qlang, Candidate: clang}.String() + ":" + q.ID
	}
	for i, r := range cands {
		fmt.Fprintf(f.runBuf, "%s Q0 %s %d %s %s\n", qid, ids[r.Index], i+1, strconv.FormatFloat(float64(r.Score), 'g', -1, 32), w.tag)
	}
	// The relevant candidates of this pool: those of q whose language the
	// pool holds (every language in multi).
	for _, id := range q.RelevantIDs {
		if setting == Multi || langOf(id) == clang {
			fmt.Fprintf(f.qrelsBuf, "%s 0 %s 1\n", qid, id)
		}
	}
	return nil
}

func langOf(id string) string {
	for i := 0; i < len(id); i++ {
		if id[i] == ':' {
			return id[:i]
		}
	}
	return ""
}

func (w *TRECWriter) open(setting results.Setting) (*trecFiles, error) {
	if f, ok := w.files[setting]; ok {
		return f, nil
	}
	base := filepath.Join(w.dir, w.dataset+"-"+string(setting))
	// Temporary files of their own (never a fixed name a link could sit
	// at), renamed into place by Close.
	run, err := safepath.CreateTemp(base + ".trec")
	if err != nil {
		return nil, err
	}
	qrels, err := safepath.CreateTemp(base + ".qrels")
	if err != nil {
		run.Close()
		os.Remove(run.Name())
		return nil, err
	}
	f := &trecFiles{run: run, qrels: qrels, runBuf: bufio.NewWriterSize(run, 1<<20), qrelsBuf: bufio.NewWriter(qrels)}
	w.files[setting] = f
	return f, nil
}

// Close flushes every file and moves it into place; until then no run file
// appears under its final name.
func (w *TRECWriter) Close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	for setting, f := range w.files {
		keep(f.runBuf.Flush())
		keep(f.qrelsBuf.Flush())
		keep(f.run.Close())
		keep(f.qrels.Close())
		base := filepath.Join(w.dir, w.dataset+"-"+string(setting))
		if first == nil {
			keep(os.Rename(f.run.Name(), base+".trec"))
			keep(os.Rename(f.qrels.Name(), base+".qrels"))
		} else {
			os.Remove(f.run.Name())
			os.Remove(f.qrels.Name())
		}
	}
	return first
}
