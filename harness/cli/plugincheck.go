package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xlbench/xlbench/harness/conformance"
	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/plugins"
)

// cmdPlugin runs `xlbench plugin check`: the plugin contract checked
// through the real host (see package conformance).
func (a *App) cmdPlugin(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: xlbench plugin check [-kind sampler|encoder|reader] [-log-level L] [-param NAME=VALUE ...] PLUGIN")
	}
	fs := a.flags("plugin check", "[-kind sampler|encoder|reader] [-param NAME=VALUE ...] PLUGIN")
	kindFlag := fs.String("kind", "", "the plugin's kind (default: a built-in's own; an external plugin's is found by asking)")
	level := fs.String("log-level", "", "plugin log level (default $XLBENCH_LOG_LEVEL or warn)")
	fixed := plugins.Params{}
	fs.Func("param", "a parameter every configuration the checks make carries, as NAME=VALUE (repeatable; VALUE is read as JSON when it parses, else as a string): e.g. an encoder's model folder, -param model=/models/labse", func(s string) error {
		name, value, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return fmt.Errorf("%q: want NAME=VALUE", s)
		}
		fixed[name] = paramValue(value)
		return nil
	})
	rest, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return exitError(2)
	}
	if !strings.HasPrefix(rest[0], plugins.BuiltinPrefix) {
		// Checking a plugin means running it: say so, and by what hash,
		// since no lock file vouches for it here.
		sum, err := filehash.SHA256(rest[0])
		if err != nil {
			return fmt.Errorf("plugin %s: %w", rest[0], err)
		}
		// On stdout, the report's first line: in one stream with the
		// report, it cannot run into its last line (it did, on stderr).
		fmt.Fprintf(a.Stdout, "plugin check starts %s (sha256 %s), which no lock file pins here: it runs with your permissions. Pin it (xlbench lock SPEC) before a spec uses it.\n", rest[0], sum)
	}
	host, err := a.newHost(ctx, *level)
	if err != nil {
		return err
	}
	defer host.Close()
	kind := plugins.Kind(*kindFlag)
	switch kind {
	case plugins.KindSampler, plugins.KindEncoder, plugins.KindReader:
	case "":
		if kind, err = conformance.Kind(ctx, host, rest[0]); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-kind %q: want sampler, encoder or reader", kind)
	}
	rep := conformance.Run(ctx, host, rest[0], kind, fixed)
	rep.Print(a.Stdout)
	if len(rep.Failed()) > 0 {
		return exitError(1)
	}
	return nil
}

// paramValue reads a -param value as JSON (a number, a bool, a list) when
// it parses, else as the string it is, so -param model=/models/x needs no
// quotes.
func paramValue(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil && v != nil {
		if _, isObject := v.(map[string]any); !isObject {
			return v
		}
	}
	return s
}
