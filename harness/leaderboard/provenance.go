package leaderboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/report"
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
	// RunBy is who ran the cells (xlbench run -by), when recorded; Runs
	// the dates they finished.
	RunBy []string `json:"run_by,omitempty"`
	Runs  []string `json:"runs"`
	// TunedBy is how the spec said the training length was chosen
	// (report.TunedBy), per distinct declaration.
	TunedBy []string `json:"tuned_by,omitempty"`
	// Links are the spec and plugin sources found beside the board, set by
	// Board.LinkSources.
	Links []Link `json:"links,omitempty"`

	// plugins are the entry's plugins as the spec wrote them, to link.
	plugins []string
}

// Link is a source file or folder the board links to: Href relative to
// the folder the board is written to.
type Link struct {
	Label string `json:"label"`
	Href  string `json:"href"`
}

func (p *Provenance) fill(cells []*results.CellResult, ds string) {
	add := func(set map[string]bool, v string) {
		if v != "" {
			set[v] = true
		}
	}
	plugins, data, machines := map[string]bool{}, map[string]bool{}, map[string]bool{}
	runBy, runs, tuned, written := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	specs, locks := map[results.FileHash]bool{}, map[results.FileHash]bool{}
	for _, c := range cells {
		p.CellIDs = append(p.CellIDs, c.CellID)
		if !c.Finished.IsZero() {
			add(runs, c.Finished.UTC().Format("2006-01-02"))
		}
		if c.Training != nil {
			add(tuned, report.TunedBy(c))
		}
		m := c.Manifest
		if m == nil {
			continue
		}
		add(machines, fmt.Sprintf("%s (%s/%s, %d CPUs, %s)", m.Machine.Hostname, m.Machine.OS, m.Machine.Arch, m.Machine.CPUs, m.Machine.GoVersion))
		add(runBy, m.RunBy)
		for _, f := range m.Specs {
			specs[f] = true
		}
		for _, f := range m.Locks {
			locks[f] = true
		}
		in, ok := c.RecordedInputs()
		if !ok {
			continue
		}
		for role, pl := range map[string]*results.ComponentInput{"encoder": &in.Encoder, "sampler": in.Sampler, "reader": in.Reader} {
			if pl != nil {
				add(plugins, role+" "+pl.String())
				add(written, pl.Plugin)
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
	p.RunBy = slices.Sorted(maps.Keys(runBy))
	p.Runs = slices.Sorted(maps.Keys(runs))
	p.TunedBy = slices.Sorted(maps.Keys(tuned))
	p.plugins = slices.Sorted(maps.Keys(written))
}

// LinkSources links every entry's specs and plugins to their sources
// where they are found in the working folder: a spec by the path its run
// recorded, an external plugin by its path from the spec's folder (its
// folder, for a binary), a built-in by builtinSource's folder. Hrefs are
// relative to dest, where the board is written. Only paths inside the
// working folder that exist are linked: a result's paths are anyone's
// text, and a link never leads outside the repository.
func (b *Board) LinkSources(dest string, builtinSource func(name string) (string, bool)) {
	inside := func(p string) (string, bool) {
		p, err := safepath.Join(".", p)
		if err != nil {
			return "", false
		}
		if _, err := os.Stat(p); err != nil {
			return "", false
		}
		return p, true
	}
	absDest, err := filepath.Abs(dest)
	if err != nil {
		return
	}
	href := func(p string) (string, bool) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", false
		}
		rel, err := filepath.Rel(absDest, abs)
		if err != nil {
			return "", false
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		for i, part := range parts {
			parts[i] = url.PathEscape(part)
		}
		return strings.Join(parts, "/"), true
	}
	for _, s := range b.Sections {
		for _, e := range s.Entries {
			p := &e.Provenance
			p.Links = nil
			seen := map[string]bool{}
			link := func(path string) {
				if path, ok := inside(path); ok && !seen[path] {
					if h, ok := href(path); ok {
						seen[path] = true
						p.Links = append(p.Links, Link{Label: filepath.ToSlash(path), Href: h})
					}
				}
			}
			for _, sp := range p.Specs {
				link(sp.Path)
			}
			for _, pl := range p.plugins {
				if name, ok := strings.CutPrefix(pl, "builtin:"); ok {
					if src, ok := builtinSource(name); ok {
						link(src)
					}
					continue
				}
				for _, sp := range p.Specs {
					path := filepath.Join(filepath.Dir(sp.Path), pl)
					if ext := filepath.Ext(path); ext != ".py" && ext != ".go" {
						path = filepath.Dir(path) // a binary: its folder holds the source
					}
					if _, ok := inside(path); ok {
						link(path)
						break
					}
				}
			}
		}
	}
}

// Verification is whether verify runs reproduced an entry's cells, as
// they are stored now, in stamps a reviewer signed. Status:
//
//	"reproduced"          every cell rerun within the tolerance, each stamp
//	                      signed by a key allowed_signers lists (✓)
//	"reproduced, unsigned" the same, but some stamp unsigned or signed by a
//	                      key not listed: shown as such, never as ✓
//	"partly"              some cells reproduced
//	"differs"             a rerun found a metric outside the tolerance
//	"changed since verified" a verdict is about other files than the
//	                      cell's now (result.json or per-query file edited)
//	"unbound"             a verdict records no files (a stamp from before
//	                      stamps did): it vouches for no content; verify
//	                      again
//	"not verified"        no stamp for the cells
//
// Who, Machine and When are the latest stamp's; OtherMachine says
// whether every reproducing stamp ran on another machine than the one
// that produced the cell (an independent rerun), by hostname.
type Verification struct {
	Status       string  `json:"status"`
	Reproduced   int     `json:"reproduced"`
	Cells        int     `json:"cells"`
	Who          string  `json:"who,omitempty"`
	Signed       string  `json:"signed,omitempty"`
	Machine      string  `json:"machine,omitempty"`
	OtherMachine bool    `json:"other_machine"`
	When         string  `json:"when,omitempty"`
	MaxDeviation float64 `json:"max_deviation"`
	// Problems name the stamps not counted, and why.
	Problems []string `json:"problems,omitempty"`
}

// verification reads the stamps of the entry's results directory, signed
// holding what each stamp's signature says: a cell's verdict is the last
// stamp's for the same experiment, cell and cell id (not a reuse).
func verification(cells []*results.CellResult, stamps []results.Stamp, signed []results.Signed) Verification {
	v := Verification{Cells: len(cells), Status: "not verified", OtherMachine: true}
	differs, changed, unsigned, unbound := false, false, false, false
	problems := map[string]bool{}
	for _, c := range cells {
		var last *results.Verdict
		lastStamp := -1
		for i := range stamps {
			for j := range stamps[i].Cells {
				x := &stamps[i].Cells[j]
				if x.Experiment == c.Experiment && x.Cell == c.Cell && x.CellID == c.CellID && x.Outcome != results.Reused {
					last, lastStamp = x, i
				}
			}
		}
		if last == nil {
			continue
		}
		st := stamps[lastStamp]
		if last.ResultSHA256 == "" {
			unbound = true
			problems[c.Cell+": the stamp of "+st.When.Format("2006-01-02")+" records no file hashes (made before stamps did): verify again"] = true
			continue
		}
		if !last.About(c) {
			changed = true
			problems[c.Cell+": changed since verified (its result.json or per-query file is not the one the stamp of "+st.When.Format("2006-01-02")+" checked)"] = true
			continue
		}
		switch last.Outcome {
		case results.Reproduced:
			v.Reproduced++
			if sg := signed[lastStamp]; sg.Status != results.SignedOK {
				unsigned = true
				problems[fmt.Sprintf("stamp of %s by %s: %s", st.When.Format("2006-01-02"), st.Who, sg.Reason)] = true
			}
			if c.Manifest == nil || c.Manifest.Machine.Hostname == st.Machine.Hostname {
				v.OtherMachine = false
			}
		case results.Differs:
			differs = true
		}
		v.MaxDeviation = max(v.MaxDeviation, last.MaxDeviation)
		if when := st.When.Format("2006-01-02"); when >= v.When {
			v.When, v.Who, v.Machine = when, st.Who, st.Machine.Hostname
			v.Signed = signed[lastStamp].Status
			if signed[lastStamp].Status == results.SignedOK {
				v.Who = signed[lastStamp].Principal + " (key " + signed[lastStamp].Fingerprint + ")"
			}
		}
	}
	v.Problems = slices.Sorted(maps.Keys(problems))
	switch {
	case differs:
		v.Status = "differs"
	case changed:
		v.Status = "changed since verified"
	case unbound:
		v.Status = "unbound"
	case v.Reproduced == v.Cells && unsigned:
		v.Status = "reproduced, unsigned"
	case v.Reproduced == v.Cells:
		v.Status = "reproduced"
	case v.Reproduced > 0:
		v.Status = "partly"
	}
	if v.Reproduced == 0 {
		v.OtherMachine = false
	}
	return v
}
