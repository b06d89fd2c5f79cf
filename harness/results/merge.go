package results

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/lang"
)

// Merge joins the results of several directories (the references and
// contributions) as a results repository would: a cell id found in more
// than one directory must hold the same measurement everywhere
// (Measurement: every metric, pool, dataset, training and reading record
// and the per-query file) and is then kept once, from the first
// directory, with a note; the same id with another measurement is an
// error naming both files, whatever the order the directories were given
// in. Two runs of one cell differ only in when and where they ran, and
// count as one. Results without a cell id are kept as they are (nothing
// ties them together).
func Merge(dirs [][]*CellResult) (kept [][]*CellResult, notes []string, err error) {
	first := map[string]*CellResult{}
	var conflicts []string
	for _, rs := range dirs {
		var keep []*CellResult
		for _, r := range rs {
			if r.CellID == "" {
				keep = append(keep, r)
				continue
			}
			prev, seen := first[r.CellID]
			switch {
			case !seen:
				first[r.CellID] = r
				keep = append(keep, r)
			case sameContent(prev, r):
				notes = append(notes, fmt.Sprintf("%s is the same measurement as %s (cell id %s): counted once", r.Stored.Path(r), prev.Stored.Path(prev), r.CellID))
			default:
				conflicts = append(conflicts, fmt.Sprintf("cell id %s: %s and %s differ (%s)", r.CellID, prev.Stored.Path(prev), r.Stored.Path(r), difference(prev, r)))
			}
		}
		kept = append(kept, keep)
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return nil, nil, fmt.Errorf("the same cell with different content in two places; a cell id names one result:\n  %s", strings.Join(conflicts, "\n  "))
	}
	return kept, notes, nil
}

func sameContent(a, b *CellResult) bool { return a.Measurement() == b.Measurement() }

// Measurement is the sha256 of what a result measured, leaving out when,
// where and how long it ran: its cell id, datasets, metrics, pools,
// training record (without its seconds and pairs per second) and reading
// record, and its per-query file's sha256.
func (r *CellResult) Measurement() string {
	training := r.Training
	if training != nil {
		t := *training
		t.Seconds, t.PairsPerSecond = 0, 0
		training = &t
	}
	b, _ := json.Marshal(struct {
		CellID   string
		Datasets map[string]DatasetInfo
		Metrics  map[string]map[Setting]Scores
		Pools    map[string]map[Setting]map[lang.PoolKey]Pool
		Training *Training
		Reading  *Reading
		PerQuery string
	}{r.CellID, r.Datasets, r.Metrics, r.Pools, training, r.Reading, r.PerQuerySHA256})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// difference says how two results of one cell differ: the first metric
// that does, else that the files do.
func difference(a, b *CellResult) string {
	if d := Compare(a, b, 0); len(d) > 0 {
		x := d[0]
		return fmt.Sprintf("%s/%s/%s %.6g against %.6g", x.Dataset, x.Setting, x.Metric, x.Want, x.Got)
	}
	if a.PerQuerySHA256 != b.PerQuerySHA256 {
		return "per-query files"
	}
	return "in their pools, datasets, training or reading records"
}
