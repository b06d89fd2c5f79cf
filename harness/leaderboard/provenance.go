package leaderboard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/results"
)

// Provenance says where an entry's numbers come from: the results
// directory, its cells, the spec and lock files they ran from, the plugins
// (built-ins by behaviour version, external ones by sha256), the data
// evaluated (a hash over the dataset's files' sha256) and the machines.
// Lists hold the distinct values over the entry's cells.
type Provenance struct {
	Source   string             `json:"source"`
	CellIDs  []string           `json:"cell_ids"`
	Specs    []results.FileHash `json:"specs,omitempty"`
	Locks    []results.FileHash `json:"locks,omitempty"`
	Plugins  []string           `json:"plugins"`
	Data     []string           `json:"data"`
	Machines []string           `json:"machines"`
}

func (p *Provenance) fill(cells []*results.CellResult, ds string) {
	add := func(set map[string]bool, v string) {
		if v != "" {
			set[v] = true
		}
	}
	plugins, data, machines := map[string]bool{}, map[string]bool{}, map[string]bool{}
	specs, locks := map[results.FileHash]bool{}, map[results.FileHash]bool{}
	for _, c := range cells {
		p.CellIDs = append(p.CellIDs, c.CellID)
		m := c.Manifest
		if m == nil {
			continue
		}
		add(machines, fmt.Sprintf("%s (%s/%s, %d CPUs, %s)", m.Machine.Hostname, m.Machine.OS, m.Machine.Arch, m.Machine.CPUs, m.Machine.GoVersion))
		for _, f := range m.Specs {
			specs[f] = true
		}
		for _, f := range m.Locks {
			locks[f] = true
		}
		var in results.Inputs
		if json.Unmarshal(m.Inputs, &in) != nil {
			continue
		}
		for role, pl := range map[string]*results.ComponentInput{"encoder": &in.Encoder, "sampler": in.Sampler, "reader": in.Reader} {
			if pl != nil {
				add(plugins, role+" "+pl.String())
			}
		}
		for _, d := range in.Evaluate {
			if d.Name != ds {
				continue
			}
			h := sha256.New()
			for _, f := range slices.Sorted(maps.Keys(d.Files)) {
				fmt.Fprintf(h, "%s %s\n", d.Files[f], f)
			}
			add(data, fmt.Sprintf("%s: %d files, sha256 %s", d.Name, len(d.Files), hex.EncodeToString(h.Sum(nil))[:16]))
		}
	}
	less := func(a, b results.FileHash) int { return strings.Compare(a.Path+a.SHA256, b.Path+b.SHA256) }
	p.Specs = slices.SortedFunc(maps.Keys(specs), less)
	p.Locks = slices.SortedFunc(maps.Keys(locks), less)
	p.Plugins = slices.Sorted(maps.Keys(plugins))
	p.Data = slices.Sorted(maps.Keys(data))
	p.Machines = slices.Sorted(maps.Keys(machines))
}

// Verification is whether verify runs reproduced an entry's cells: Status
// "reproduced" (every cell rerun within the tolerance), "partly" (some
// cells), "differs" (a rerun found a metric outside it), or "not
// verified"; the latest stamp's who and when, and the largest deviation
// found.
type Verification struct {
	Status       string  `json:"status"`
	Reproduced   int     `json:"reproduced"`
	Cells        int     `json:"cells"`
	Who          string  `json:"who,omitempty"`
	When         string  `json:"when,omitempty"`
	MaxDeviation float64 `json:"max_deviation"`
}

// verification reads the stamps of the entry's results directory: a
// cell counts as reproduced when a stamp's verdict for it — the same
// experiment, cell and cell id — is Reproduced and no later one says
// otherwise.
func verification(cells []*results.CellResult, stamps []results.Stamp) Verification {
	v := Verification{Cells: len(cells), Status: "not verified"}
	differs := false
	for _, c := range cells {
		var last *results.Verdict
		var lastStamp *results.Stamp
		for i := range stamps {
			for j := range stamps[i].Cells {
				x := &stamps[i].Cells[j]
				if x.Experiment == c.Experiment && x.Cell == c.Cell && x.CellID == c.CellID && x.Outcome != results.Reused {
					last, lastStamp = x, &stamps[i]
				}
			}
		}
		if last == nil {
			continue
		}
		switch last.Outcome {
		case results.Reproduced:
			v.Reproduced++
		case results.Differs:
			differs = true
		}
		v.MaxDeviation = max(v.MaxDeviation, last.MaxDeviation)
		if when := lastStamp.When.Format("2006-01-02"); when >= v.When {
			v.When, v.Who = when, lastStamp.Who
		}
	}
	switch {
	case differs:
		v.Status = "differs"
	case v.Reproduced == v.Cells:
		v.Status = "reproduced"
	case v.Reproduced > 0:
		v.Status = "partly"
	}
	return v
}
