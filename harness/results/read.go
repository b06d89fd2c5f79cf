package results

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
)

// The one reader of stored results. run -reuse, verify, report, the
// leaderboard and check all read through Read and ReadAll, so that they
// print the same number for the same cell or refuse it with the same
// message. A result is read only when
//
//   - its folder and its experiment's are real folders, not links, named
//     as ValidName allows, and the result names the same experiment and
//     cell;
//   - result.json is a regular file within MaxResultBytes, complete, with
//     every metric in its range;
//   - its per-query file is the one whose sha256 it records (one recorded
//     and missing is an error), decoded within the bounds of perquery.go;
//   - every summary metric that per-query values exist for equals their
//     recomputation (mean over a pool's queries, then over pools for mono
//     and cross; over all queries for multi), as does every pool's;
//   - its recorded inputs hash to its cell id (CheckCellID), when it has
//     one.

// MaxResultBytes bounds a result.json (the largest real one is under
// 200 kB).
const MaxResultBytes = 64 << 20

// recomputeTolerance is how far a stored summary may be from its
// recomputation: the same sums in another order differ in the last bits.
const recomputeTolerance = 1e-9

// Read reads and checks the stored result of one cell; a missing result
// is (nil, nil).
func Read(out, experiment, cell string) (*CellResult, error) {
	for _, name := range []string{experiment, cell} {
		if err := ValidName(name); err != nil {
			return nil, err
		}
	}
	if _, err := os.Lstat(filepath.Join(out, experiment, cell, ResultFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return readCell(out, experiment, cell)
}

// ReadAll reads and checks every result under out, optionally of one
// experiment, sorted by experiment and cell. The first result that fails
// a check is the error, naming its file.
func ReadAll(out, experiment string) ([]*CellResult, error) {
	rs, refused, err := ReadEach(out, experiment)
	if err != nil {
		return nil, err
	}
	if len(refused) > 0 {
		return nil, refused[0]
	}
	return rs, nil
}

// ReadEach is ReadAll that goes on past a result that fails its checks,
// returning each such failure (naming its file) beside the results that
// passed: a leaderboard lists what it refused. err is an unreadable
// directory.
func ReadEach(out, experiment string) (rs []*CellResult, refused []error, err error) {
	var experiments []string
	if experiment != "" {
		if _, err := ExperimentDir(out, experiment); err != nil {
			return nil, nil, err
		}
		experiments = []string{experiment}
	} else {
		entries, err := os.ReadDir(out)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			if e.IsDir() || e.Type()&fs.ModeSymlink != 0 {
				experiments = append(experiments, e.Name())
			}
		}
	}
	for _, exp := range experiments {
		cells, err := os.ReadDir(filepath.Join(out, exp))
		if errors.Is(err, fs.ErrNotExist) && experiment != "" {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		for _, c := range cells {
			if _, err := os.Lstat(filepath.Join(out, exp, c.Name(), ResultFile)); err != nil {
				continue // a reader's cache, a stage's model, a stray folder
			}
			r, err := readCell(out, exp, c.Name())
			if err != nil {
				refused = append(refused, err)
				continue
			}
			rs = append(rs, r)
		}
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Experiment != rs[j].Experiment {
			return rs[i].Experiment < rs[j].Experiment
		}
		return rs[i].Cell < rs[j].Cell
	})
	return rs, refused, nil
}

// readCell reads the result of out/<experiment>/<cell> and runs every
// check above.
func readCell(out, experiment, cell string) (*CellResult, error) {
	for _, d := range []string{filepath.Join(out, experiment), filepath.Join(out, experiment, cell)} {
		if st, err := os.Lstat(d); err == nil && st.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a symbolic link: results are read only from the folders of a results directory, never through links", d)
		}
	}
	dir, err := CellDir(out, experiment, cell)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(out, experiment, cell), err)
	}
	f := filepath.Join(dir, ResultFile)
	data, err := safepath.ReadRegular(f, MaxResultBytes)
	if err != nil {
		return nil, err
	}
	var r CellResult
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	if err := r.check(data, experiment, cell); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	// Errors of the per-query file name that file (the result's own name
	// would only come before it).
	if r.PerQuery, err = readPerQuery(dir, r.PerQuerySHA256); err != nil {
		return nil, err
	}
	if err := r.checkRecomputed(); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	sum := sha256.Sum256(data)
	r.Stored = Stored{Dir: out, ResultSHA256: hex.EncodeToString(sum[:])}
	return &r, nil
}

// check runs the checks of a result's own file.
func (r *CellResult) check(data []byte, experiment, cell string) error {
	if !r.Complete {
		return errors.New("result is marked incomplete")
	}
	if r.Experiment != experiment || r.Cell != cell {
		return fmt.Errorf("the result says it is %.60q/%.60q, but it is stored as %s/%s: a result is read only in its own folder", r.Experiment, r.Cell, experiment, cell)
	}
	// A cell that trains and evaluates nothing (a tuning run, a stage of
	// one) has no metrics by design; any other result must have them.
	trainOnly := r.Training != nil && len(r.Datasets) == 0
	if err := checkMetrics(data); err != nil && !(trainOnly && len(r.Metrics) == 0) {
		return err
	}
	if r.CellID != "" {
		if err := CheckCellID(r); err != nil {
			return err
		}
	}
	return nil
}

// checkMetrics refuses a result whose metrics are missing or null: decoded
// into numbers they would print as 0.000, a value nobody measured.
func checkMetrics(data []byte) error {
	var raw struct {
		Metrics map[string]map[Setting]map[metrics.Name]*float64 `json:"metrics"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if len(raw.Metrics) == 0 {
		return errors.New("result has no metrics")
	}
	for _, ds := range slices.Sorted(maps.Keys(raw.Metrics)) {
		if len(raw.Metrics[ds]) == 0 {
			return fmt.Errorf("metrics of dataset %s are missing", ds)
		}
		for setting, ms := range raw.Metrics[ds] {
			if !slices.Contains(Settings, setting) {
				return fmt.Errorf("metrics of dataset %s: %.40q is not a setting (want one of %v)", ds, setting, Settings)
			}
			for name, v := range ms {
				if !metrics.Known(name) {
					return fmt.Errorf("metric %s/%s/%.40q is not a metric of this xlbench", ds, setting, name)
				}
				if v == nil {
					return fmt.Errorf("metric %s/%s/%s is null", ds, setting, name)
				}
				if err := inRange(name, *v); err != nil {
					return fmt.Errorf("metric %s/%s/%s %w", ds, setting, name, err)
				}
			}
		}
	}
	return nil
}

// inRange: every metric is a share in [0, 1] but the rank distance, a
// count of ranks: a value outside is no measurement, and averages of huge
// ones print +Inf.
func inRange(name metrics.Name, v float64) error {
	if v < 0 || (name != metrics.RankDistance && v > 1) || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("is %g, outside its range (0 to 1; rank distance 0 or more)", v)
	}
	return nil
}

// checkRecomputed refuses a result whose summary metrics are not what its
// per-query values give: an edited result.json, or per-query values
// edited and re-hashed, would otherwise print one number in report and
// another wherever intervals are computed.
func (r *CellResult) checkRecomputed() error {
	for _, ds := range slices.Sorted(maps.Keys(r.PerQuery)) {
		set := r.PerQuery[ds]
		for _, series := range slices.SortedFunc(maps.Keys(set.Series), compareSeries) {
			setting, metric := series.Setting, series.Metric
			stored, ok := r.Metrics[ds][setting][metric]
			if !ok {
				return fmt.Errorf("per-query values of %s/%s/%s, but no such metric in the result", ds, setting, metric)
			}
			pools, all := set.poolMeans(series)
			got := all
			if setting != Multi {
				got = 0
				for _, m := range pools {
					got += m
				}
				got /= float64(len(pools))
			}
			if math.Abs(got-stored) > recomputeTolerance {
				return fmt.Errorf("metric %s/%s/%s is %.6f, but its per-query values give %.6f: the result was changed after it was computed", ds, setting, metric, stored, got)
			}
			for pool, m := range pools {
				p, ok := r.Pools[ds][setting][pool]
				if !ok {
					continue
				}
				if v, ok := p.Metrics[metric]; ok && math.Abs(v-m) > recomputeTolerance {
					return fmt.Errorf("pool %s/%s/%s %s is %.6f, but its per-query values give %.6f: the result was changed after it was computed", ds, setting, pool, metric, v, m)
				}
			}
		}
	}
	return nil
}

// poolMeans is a series' mean per pool and over all its values.
func (s *PerQuerySet) poolMeans(series Series) (map[lang.PoolKey]float64, float64) {
	sums, counts := map[lang.PoolKey]float64{}, map[lang.PoolKey]int{}
	// Pool names were checked as keys when the file was read.
	keys := make([]lang.PoolKey, len(s.Pools))
	for i, name := range s.Pools {
		keys[i], _ = lang.ParsePoolKey(name)
	}
	total := 0.0
	vals := s.Series[series]
	for _, v := range vals {
		p := keys[v.Pool]
		sums[p] += v.Value
		counts[p]++
		total += v.Value
	}
	for p := range sums {
		sums[p] /= float64(counts[p])
	}
	return sums, total / float64(max(1, len(vals)))
}

// readPerQuery reads the per-query file of a cell's folder, hashing what
// it reads: it must be the file whose sha256 the result records. No file
// and no record is no per-query values; a record without its file, a
// file without a record, or the keyed JSON of the first format, is an
// error.
func readPerQuery(dir, wantSHA256 string) (PerQuery, error) {
	path := filepath.Join(dir, PerQueryFile)
	if _, err := os.Lstat(filepath.Join(dir, legacyPerQueryFile)); err == nil {
		return nil, fmt.Errorf("%s is the keyed per-query JSON of an older xlbench, no longer read: rerun the cell with -force", filepath.Join(dir, legacyPerQueryFile))
	}
	f, err := safepath.OpenRegular(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && wantSHA256 == "":
		return nil, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: the result records per-query file %s (sha256 %s), which is missing: restore it, or rerun the cell", filepath.Join(dir, ResultFile), PerQueryFile, short(wantSHA256))
	case err != nil:
		return nil, err
	case wantSHA256 == "":
		f.Close()
		return nil, fmt.Errorf("%s is beside a result that records no per-query file: rerun the cell with -force", path)
	}
	defer f.Close()
	h := sha256.New()
	z, err := gzip.NewReader(io.TeeReader(f, h))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out, err := decodePerQuery(safepath.LimitReader(z, MaxPerQueryBytes, func() error {
		return fmt.Errorf("holds more than %d bytes decompressed, the limit for a per-query file", int64(MaxPerQueryBytes))
	}))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The hash covers the whole file: gzip may stop before trailing bytes.
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA256 {
		return nil, fmt.Errorf("%s is not the per-query file written with this result (sha256 %s, recorded %s; an interrupted rerun?): rerun the cell with -force", path, short(got), short(wantSHA256))
	}
	return out, nil
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}
