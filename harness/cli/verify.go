package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"time"

	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/runner"
)

// cmdVerify reruns specs and compares every cell's metrics with the
// reference results (the committed ones under results/ by default).
func (a *App) cmdVerify(ctx context.Context, args []string) error {
	fs := a.flags("verify", "[flags] SPEC...")
	dataDir := fs.String("data", "", "data directory (default $XLBENCH_DATA, else ../shared/data, else the download cache)")
	ref := fs.String("ref", "results", "directory of the reference results")
	out := fs.String("out", "", "where the rerun writes its results (default: a temporary directory, removed afterwards)")
	tol := fs.Float64("tolerance", 1e-3, "largest difference accepted, absolute for metrics up to 1, relative above (rank distance)")
	only := fs.String("experiment", "", "only this experiment")
	jobs := fs.Int("j", 1, "computations at once: cells rerun, and a reader while it trains")
	stampIt := fs.Bool("stamp", true, "record what this run found in the reference directory's "+results.StampFile+" (the leaderboard marks the cells it reproduced)")
	signKey := fs.String("sign", "", "sign the stamp with this SSH private key (as ssh-keygen -Y sign does; the leaderboard counts a stamp only when "+results.AllowedSignersFile+" beside the results lists the key for -signer)")
	signer := fs.String("signer", "", "the principal the stamp is signed as, as allowed_signers names it (an e-mail address); with -sign")
	var reuse stringsFlag
	fs.Var(&reuse, "reuse", "take stored cells with a matching cell id from this results directory instead of rerunning them (repeatable); each is named reused, not verified")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if (*signKey == "") != (*signer == "") {
		return fmt.Errorf("-sign and -signer go together: the key, and the principal it signs as")
	}
	host, err := a.newHost(ctx, "")
	if err != nil {
		return err
	}
	defer host.Close()
	cells, err := a.plan(ctx, host, files, *only, "verify")
	if err != nil {
		return err
	}
	store, err := a.dataStore(*dataDir)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		if dir, err = os.MkdirTemp("", "xlbench-verify"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	specs, locks, err := runner.SpecFiles(files)
	if err != nil {
		return err
	}
	log, events, endLog := a.log()
	r := runner.New(runner.Config{Plugins: host, Store: store, Out: dir, Version: Version, Log: log, Events: events, Force: true, Reuse: reuse, Specs: specs, Locks: locks, Jobs: *jobs})
	done, runErr := r.Run(ctx, cells)
	endLog()
	got := map[string]*results.CellResult{}
	for _, res := range done {
		got[res.Experiment+"/"+res.Cell] = res
	}
	stamp := results.Stamp{Who: who(), Machine: runner.Machine(), When: time.Now().UTC(), XLBenchVersion: Version, Specs: specs, Tolerance: *tol}
	bad, reused := a.judge(cells, got, r.Reused, *ref, *tol, &stamp)
	if runErr != nil {
		fmt.Fprintln(a.Stderr, runErr)
	}
	if *stampIt && len(stamp.Cells) > 0 {
		if *signKey != "" {
			if err := stamp.Sign(*signKey, *signer); err != nil {
				return fmt.Errorf("signing the verify stamp: %w", err)
			}
		}
		if err := results.AddStamp(*ref, stamp); err != nil {
			return fmt.Errorf("writing the verify stamp: %w", err)
		}
		fmt.Fprintf(a.Stdout, "stamped %s: %d cells, largest deviation %.3g\n", results.StampPath(*ref), len(stamp.Cells), stamp.MaxDeviation)
	}
	if bad > 0 {
		fmt.Fprintf(a.Stdout, "%d of %d cells differ from the reference (tolerance %g)\n", bad, len(cells), *tol)
		return exitError(1)
	}
	fmt.Fprintf(a.Stdout, "all %d rerun cells agree with the reference (tolerance %g); %d reused, not rerun\n", len(cells)-reused, *tol, reused)
	return nil
}

// judge compares each rerun cell with its reference in ref, printing a
// line per cell and recording its verdict in stamp; it returns how many
// cells differ (or could not be compared) and how many were reused.
func (a *App) judge(cells []plan.Cell, got map[string]*results.CellResult, reusedFrom map[string]string, ref string, tol float64, stamp *results.Stamp) (bad, reused int) {
	for _, c := range cells {
		name := c.Experiment.Name + "/" + c.Name
		want, err := results.Read(ref, c.Experiment.Name, c.Name)
		if want != nil {
			v := results.Verdict{Experiment: want.Experiment, Cell: want.Cell, CellID: want.CellID, Outcome: results.NotRerun,
				ResultSHA256: want.Stored.ResultSHA256, PerQuerySHA256: want.PerQuerySHA256}
			switch g := got[name]; {
			case g == nil:
			case reusedFrom[name] != "":
				v.Outcome = results.Reused
			default:
				v.MaxDeviation = results.Deviation(want, g)
				v.Outcome = results.Reproduced
				if g.CellID != want.CellID || len(results.Compare(want, g, tol)) > 0 {
					v.Outcome = results.Differs
				}
				stamp.MaxDeviation = max(stamp.MaxDeviation, v.MaxDeviation)
			}
			stamp.Cells = append(stamp.Cells, v)
		}
		switch {
		case err != nil:
			fmt.Fprintf(a.Stdout, "%s: reference unreadable: %v\n", name, err)
			bad++
		case got[name] != nil && reusedFrom[name] != "":
			// Taken from a -reuse directory: neither verified nor a
			// failure, with or without a reference here (a contribution's
			// results directory holds only its own cells).
			reused++
			fmt.Fprintf(a.Stdout, "%s: reused from %s (cell id %s), not rerun\n", name, reusedFrom[name], got[name].CellID)
		case want == nil:
			fmt.Fprintf(a.Stdout, "%s: no reference result in %s\n", name, ref)
			bad++
		case got[name] == nil:
			fmt.Fprintf(a.Stdout, "%s: the rerun failed\n", name)
			bad++
		case got[name].CellID != want.CellID:
			fmt.Fprintf(a.Stdout, "%s: the rerun's cell id %s is not the reference's %s: its inputs (data, plugins, spec) differ\n", name, got[name].CellID, want.CellID)
			bad++
		default:
			diffs := results.Compare(want, got[name], tol)
			if len(diffs) == 0 {
				fmt.Fprintf(a.Stdout, "%s: ok (rerun)\n", name)
				continue
			}
			bad++
			fmt.Fprintf(a.Stdout, "%s: %d metrics differ\n", name, len(diffs))
			for _, d := range diffs[:min(len(diffs), 10)] {
				fmt.Fprintf(a.Stdout, "  %s %s %s: reference %.6g, rerun %.6g\n", d.Dataset, d.Setting, d.Metric, d.Want, d.Got)
			}
		}
	}
	return bad, reused
}

// runBy is who a run records as having run its cells: by when given,
// else the git identity of the current folder ("Name <email>"), else who().
func runBy(ctx context.Context, by string) string {
	if by = strings.TrimSpace(by); by != "" {
		return by
	}
	get := func(key string) string {
		out, err := exec.CommandContext(ctx, "git", "config", "--get", key).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	if name := get("user.name"); name != "" {
		if email := get("user.email"); email != "" {
			return name + " <" + email + ">"
		}
		return name
	}
	return who()
}

// who names the person and machine behind a stamp: user@host.
func who() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}
