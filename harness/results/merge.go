package results

import (
	"fmt"
	"slices"
	"strings"
)

// Merge joins the results of several directories (the references and
// contributions) as a results repository would: a cell id found in more
// than one directory must have the same content everywhere — the same
// result.json and per-query file, byte for byte — and is then kept once,
// from the first directory, with a note; the same id with different
// content is an error naming both files, whatever the order the
// directories were given in. Results without a cell id are kept as they
// are (nothing ties them together).
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
				notes = append(notes, fmt.Sprintf("%s is an identical copy of %s (cell id %s): counted once", r.Stored.Path(r), prev.Stored.Path(prev), r.CellID))
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

func sameContent(a, b *CellResult) bool {
	return a.Stored.ResultSHA256 == b.Stored.ResultSHA256 && a.PerQuerySHA256 == b.PerQuerySHA256
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
	return "result.json files, not in any metric"
}
