package results

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// The layout of a results directory OUT, defined here and nowhere else:
//
//	OUT/verified.json                          verify stamps (StampFile)
//	OUT/verified.json.lock                     held while a verify adds its stamp
//	OUT/.xlbench.lock                          held by the run writing OUT
//	OUT/report-<spec>.md                       every table of the last run of those spec files
//	OUT/<experiment>/<cell>/result.json        the cell's result (ResultFile)
//	OUT/<experiment>/<cell>/per-query.bin.gz   its per-query values
//	OUT/<experiment>/<cell>/model.ckpt         its trained model
//	OUT/<experiment>/<cell>/stage.lock         held while a stage trains
//	OUT/<experiment>/.reader-<name>-<id>/      a trained reader: reader.ckpt, reader-loss.json
//	TREC/<experiment>/<cell>/<dataset>-<setting>.run   TREC runs (-trec TREC)
//
// Every path below a results directory is built by the functions here,
// which check names and refuse symbolic links that lead out of it.
const (
	ModelFile      = "model.ckpt"
	ReaderFile     = "reader.ckpt"
	ReaderLossFile = "reader-loss.json"
	OutLockFile    = ".xlbench.lock"
	stageLockFile  = "stage.lock"
)

// ValidName refuses an experiment or cell name that is not one path
// element of printable characters: names come from specs and from stored
// results, and become folder names.
func ValidName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%q is not a valid experiment or cell name", name)
	case len(name) > maxNameBytes:
		return fmt.Errorf("name %.40q… is %d bytes long; names are at most %d", name, len(name), maxNameBytes)
	case strings.ContainsAny(name, "/\\\x00") || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%q is not a valid experiment or cell name (a path separator or control character)", name)
	}
	return nil
}

// maxNameBytes bounds experiment, cell, pool and question names read
// from stored results (real ones are under 100 bytes).
const maxNameBytes = 255

// CellDir is the folder of one cell's files, out/<experiment>/<cell>,
// checked to stay inside out (names are single path elements; no symbolic
// link leads out).
func CellDir(out, experiment, cell string) (string, error) {
	for _, name := range []string{experiment, cell} {
		if err := ValidName(name); err != nil {
			return "", err
		}
	}
	return safepath.Join(out, experiment+"/"+cell)
}

// ExperimentDir is out/<experiment>, checked as CellDir is.
func ExperimentDir(out, experiment string) (string, error) {
	if err := ValidName(experiment); err != nil {
		return "", err
	}
	return safepath.Join(out, experiment)
}

// cellFile is a file of a cell's folder.
func cellFile(out, experiment, cell, name string) (string, error) {
	dir, err := CellDir(out, experiment, cell)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// ResultPath is where a cell's result is stored.
func ResultPath(out, experiment, cell string) (string, error) {
	return cellFile(out, experiment, cell, ResultFile)
}

// ModelPath is where a cell's trained model is saved, absolute (the
// encoder plugin, in another working directory, writes it).
func ModelPath(out, experiment, cell string) (string, error) {
	p, err := cellFile(out, experiment, cell, ModelFile)
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

// StageLockPath is the lock a pretraining stage's cell holds while it
// trains, so that the experiments starting from it wait for one model.
func StageLockPath(out, experiment, cell string) (string, error) {
	return cellFile(out, experiment, cell, stageLockFile)
}

// ReaderDir is where an experiment's trained reader is kept, by the id of
// what decides it: OUT/<experiment>/.reader-<name>-<id>.
func ReaderDir(out, experiment, reader, id string) (string, error) {
	return CellDir(out, experiment, ".reader-"+reader+"-"+id)
}

// TRECDir is where a cell's TREC runs are written under the -trec folder.
func TRECDir(trec, experiment, cell string) (string, error) {
	return CellDir(trec, experiment, cell)
}

// OutLockPath is the lock file of a results directory.
func OutLockPath(out string) string { return filepath.Join(out, OutLockFile) }

// ReportPath is where a run of the spec files writes every table of its
// results: report-<names>.md, the files' names without .hcl joined by
// "+", so that a run of other specs into the same folder (a second make
// compare) keeps the first's report.
func ReportPath(out string, specs []string) string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = strings.TrimSuffix(filepath.Base(s), ".hcl")
	}
	return filepath.Join(out, "report-"+strings.Join(names, "+")+".md")
}

// StampPath is the stamp file of a results directory.
func StampPath(out string) string { return filepath.Join(out, StampFile) }
