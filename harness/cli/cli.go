// Package cli is the xlbench command line.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/xlbench/xlbench/harness/internal/console"
	"github.com/xlbench/xlbench/harness/internal/reaper"
	"github.com/xlbench/xlbench/harness/pluginhost"
	"github.com/xlbench/xlbench/plugins"
)

// Version is the xlbench version, recorded in every result.
var Version = "0.1.0"

// Builtins is what the CLI needs of the built-in plugins.
type Builtins struct {
	Kinds map[string]plugins.Kind
	// Serve serves the named built-in over the plugin protocol; it
	// returns false for an unknown name.
	Serve func(name string) bool
}

// App is one invocation of the command line.
type App struct {
	Builtins Builtins
	Stdout   io.Writer
	Stderr   io.Writer
	// Environ is the environment the command reads its settings from,
	// "KEY=value" (nil: the process's); see env.go for what it reads.
	Environ []string

	// live is the command's live status line on a terminal (withLive),
	// nil elsewhere.
	live *console.Console
}

type command struct {
	name, args, summary string
	run                 func(a *App, ctx context.Context, args []string) error
}

var commands []command

func init() {
	commands = []command{
		{"run", "[flags] SPEC...", "run experiments and print comparison tables", (*App).cmdRun},
		{"cell", "run -index N [flags] SPEC...", "run one cell of the plan (a Slurm array task, a Kubernetes Indexed Job pod)", (*App).cmdCell},
		{"submit", "-backend slurm|kubernetes SPEC...", "submit the plan as a job array, one task per cell", (*App).cmdSubmit},
		{"plan", "[-data DIR] SPEC...", "list the cells of the matrix in run order, with their cell ids", (*App).cmdPlan},
		{"verify", "[flags] SPEC...", "rerun specs and compare every cell with the reference results (results/)", (*App).cmdVerify},
		{"validate", "SPEC...", "check spec files and the plugins they name", (*App).cmdValidate},
		{"lock", "SPEC...", "pin the external plugins of spec files (sha256, in .xlbench.lock.hcl beside them)", (*App).cmdLock},
		{"fmt", "[-check] SPEC...", "format spec files in place (-check: list unformatted files, exit 1)", (*App).cmdFmt},
		{"report", "[flags]", "print the tables of stored results (-compare A,B: any two rows; -baseline ROW; -reuse DIR: the references beside)", (*App).cmdReport},
		{"score-qa", "-lang LANG DATASET PREDICTIONS", "score a SQuAD-style predictions file by exact match and F1", (*App).cmdScoreQA},
		{"check", "[-ref DIR] RESULTS_DIR...", "check results directories as a results pull request's CI does: schema, ids, per-query values, specs, sizes, no reference changed", (*App).cmdCheck},
		{"leaderboard", "[-out DIR] [-dest DIR]", "write LEADERBOARD.md, leaderboard.html and SVG plots from stored results", (*App).cmdLeaderboard},
		{"fetch", "[-data DIR] DATASET...", "download datasets from their canonical sources", (*App).cmdFetch},
		{"plugins", "", "list the built-in plugins and their parameters", (*App).cmdPlugins},
		{"plugin", "check [-kind K] PLUGIN", "check that a plugin honours the plugin contract, and time it", (*App).cmdPlugin},
		{"new", "sampler|encoder [-lang go|python] NAME", "write a sampler or encoder plugin's skeleton: code, a test of its defining property, its compare file", (*App).cmdNew},
		{"version", "", "print the version", (*App).cmdVersion},
	}
}

// SignalGrace is how long a command may take to end after SIGINT or
// SIGTERM cancels it before xlbench exits regardless: whatever it is
// blocked on (a read from a pipe that never delivers, a plugin call), it
// ends within seconds, and no partial result exists (results are written
// whole or not at all; plugins die with the host).
const SignalGrace = 5 * time.Second

// onSignal returns a context that SIGINT and SIGTERM cancel, a function
// that says which signal came (nil if none), and stop. After a signal the
// command has SignalGrace to return; then xlbench exits with the signal's
// status.
func (a *App) onSignal(name string) (context.Context, func() os.Signal, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var mu sync.Mutex
	var got os.Signal
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			mu.Lock()
			got = s
			mu.Unlock()
			cancel()
			select {
			case <-done:
			case <-time.After(SignalGrace):
				fmt.Fprintf(a.Stderr, "xlbench %s: %v: still blocked %s after the signal; exiting without a result\n", name, s, SignalGrace)
				reaper.KillOrphans()
				pluginhost.RemoveSockets()
				os.Exit(signalStatus(s))
			}
		case <-done:
		}
	}()
	signalled := func() os.Signal {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
	return ctx, signalled, func() { signal.Stop(sigs); close(done); cancel() }
}

// signalStatus is the shell's exit status for a command ended by s: 130
// for SIGINT, 143 for SIGTERM.
func signalStatus(s os.Signal) int {
	if s == syscall.SIGTERM {
		return 128 + int(syscall.SIGTERM)
	}
	return 128 + int(syscall.SIGINT)
}

// CPUProfileEnv names an environment variable that, set to a path, makes
// a command (not a plugin: see transport.CPUProfileEnv) write a CPU
// profile of its whole life there, for go tool pprof.
const CPUProfileEnv = "XLBENCH_CPUPROFILE"

// profileCPU starts the profile CPUProfileEnv asks for and returns the
// function that ends it.
func (a *App) profileCPU() func() {
	path := a.getenv(CPUProfileEnv)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(a.Stderr, "xlbench: %s: %v\n", CPUProfileEnv, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// exitError carries an exit status without a message of its own.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Main runs the command line and returns the exit status.
func (a *App) Main(args []string) int {
	if len(args) >= 3 && args[0] == "plugin" && args[1] == "serve" {
		if !a.Builtins.Serve(args[2]) {
			fmt.Fprintf(a.Stderr, "xlbench: no built-in plugin %q\n", args[2])
			return 2
		}
		return 0
	}
	// A plugin's descendant that leaves its process group (setsid) is
	// adopted by xlbench, not init, and killed when the command ends.
	reaper.Adopt()
	defer reaper.KillOrphans()
	defer a.profileCPU()()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		a.usage(a.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		ctx, signalled, stop := a.onSignal(c.name)
		defer stop()
		err := c.run(a, ctx, args[1:])
		var code exitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &code):
			return int(code)
		case errors.Is(err, flag.ErrHelp):
			return 0
		case ctx.Err() != nil:
			fmt.Fprintf(a.Stderr, "xlbench %s: interrupted: %v\n", c.name, err)
			return signalStatus(signalled())
		}
		fmt.Fprintf(a.Stderr, "xlbench %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(a.Stderr, "xlbench: unknown command %q\n\n", args[0])
	a.usage(a.Stderr)
	return 2
}

func (a *App) usage(w io.Writer) {
	fmt.Fprintln(w, "xlbench benchmarks training strategies for multilingual dense retrieval.")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  xlbench %-11s %-30s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'xlbench COMMAND -h' for a command's flags.")
}

// parse parses flags anywhere among the arguments, so "run SPEC -out DIR"
// works as well as "run -out DIR SPEC".
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (a *App) flags(name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("xlbench "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.Stderr, "Usage: xlbench %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// newHost returns a plugin host that re-executes this binary for
// built-ins and logs plugin output to stderr at the given level.
func (a *App) newHost(ctx context.Context, level string) (*pluginhost.Host, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("locating the xlbench binary: %w", err)
	}
	if level == "" {
		level = a.getenv(LogLevelEnv)
	}
	if level == "" {
		level = "warn"
	}
	lvl := hclog.LevelFromString(level)
	if lvl == hclog.NoLevel {
		return nil, fmt.Errorf("unknown log level %q (trace, debug, info, warn, error)", level)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: a.Stderr, Level: lvl})
	host := pluginhost.New(self, a.Builtins.Kinds, logger)
	if d, err := a.handshakeTimeout(); err != nil {
		return nil, err
	} else if d > 0 {
		host.HandshakeTimeout = d
	}
	// On SIGINT or SIGTERM every plugin goes at once, whatever it is doing
	// (a plugin stuck in its handshake included), so the command ends
	// within seconds.
	go func() {
		<-ctx.Done()
		host.Close()
	}()
	return host, nil
}

func (a *App) cmdVersion(_ context.Context, _ []string) error {
	fmt.Fprintf(a.Stdout, "xlbench %s (plugin protocol %d)\n", Version, plugins.ProtocolVersion)
	return nil
}

func (a *App) cmdPlugins(ctx context.Context, args []string) error {
	host, err := a.newHost(ctx, "")
	if err != nil {
		return err
	}
	defer host.Close()
	var names []string
	for n := range a.Builtins.Kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		kind := a.Builtins.Kinds[n]
		info, err := host.Describe(ctx, plugins.BuiltinPrefix+n, kind)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "builtin:%s (%s %s) — %s\n", n, kind, info.Version, info.Description)
		for _, p := range info.Params {
			var extra []string
			if p.Default != nil {
				extra = append(extra, fmt.Sprintf("default %v", p.Default))
			}
			if p.Min != nil {
				extra = append(extra, fmt.Sprintf("min %v", *p.Min))
			}
			if p.Max != nil {
				extra = append(extra, fmt.Sprintf("max %v", *p.Max))
			}
			fmt.Fprintf(a.Stdout, "    %-8s %-8s %s (%s)\n", p.Name, p.Type, p.Description, strings.Join(extra, ", "))
		}
	}
	return nil
}
