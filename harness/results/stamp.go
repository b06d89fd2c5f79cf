package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// StampFile holds the verify stamps of a results directory, beside its
// experiments: OUT/verified.json, a JSON array, one stamp per verify run,
// oldest first.
const StampFile = "verified.json"

// FileHash names a file and its sha256.
type FileHash struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Stamp is what one `xlbench verify` run found: who ran it, on what, when,
// and per cell whether its rerun reproduced the stored result.
type Stamp struct {
	Who            string     `json:"who"`
	Machine        Machine    `json:"machine"`
	When           time.Time  `json:"when"`
	XLBenchVersion string     `json:"xlbench_version"`
	Specs          []FileHash `json:"specs"`
	Tolerance      float64    `json:"tolerance"`
	Cells          []Verdict  `json:"cells"`
	// MaxDeviation is the largest difference of any rerun metric from the
	// stored one (relative for metrics above 1, as the tolerance is).
	MaxDeviation float64 `json:"max_deviation"`
}

// Verdicts of a stamped cell.
const (
	Reproduced = "reproduced" // rerun; every metric within the tolerance
	Differs    = "differs"    // rerun; some metric outside it
	Reused     = "reused"     // taken from another directory, not rerun
	NotRerun   = "failed"     // the rerun failed or the stored result is missing
)

// Verdict is one cell of a stamp.
type Verdict struct {
	Experiment   string  `json:"experiment"`
	Cell         string  `json:"cell"`
	CellID       string  `json:"cell_id"`
	Outcome      string  `json:"outcome"`
	MaxDeviation float64 `json:"max_deviation"`
}

// MaxStampBytes bounds the stamp file.
const MaxStampBytes = 16 << 20

// ReadStamps reads the stamps of a results directory (none when it has no
// stamp file).
func ReadStamps(out string) ([]Stamp, error) {
	f := StampPath(out)
	data, err := safepath.ReadRegular(f, MaxStampBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ss []Stamp
	if err := json.Unmarshal(data, &ss); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	return ss, nil
}

// AddStamp appends s to the stamps of out, replacing the file whole.
func AddStamp(out string, s Stamp) error {
	ss, err := ReadStamps(out)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(append(ss, s), "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return safepath.WriteFile(StampPath(out), append(data, '\n'), 0o644)
}

// Deviation is the largest difference of got's metrics from want's, as
// Compare measures it (absolute up to 1, relative above), over the
// metrics both have.
func Deviation(want, got *CellResult) float64 {
	worst := 0.0
	for ds, settings := range want.Metrics {
		for setting, ms := range settings {
			for name, w := range ms {
				g, ok := got.Metrics[ds][setting][name]
				if !ok {
					continue
				}
				worst = max(worst, deviation(w, g))
			}
		}
	}
	return worst
}
