package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/plugins"
)

// LockFile is the file, beside spec files, that pins the external plugins
// they name (in the spirit of Terraform's dependency lock file): the sha256
// of each plugin's executable (for a script, the script). xlbench starts no
// external plugin whose hash is not pinned there or differs; `xlbench lock
// SPEC...` writes it.
const LockFile = ".xlbench.lock.hcl"

// Lock is one lock file: plugin reference as written in the specs of its
// folder → sha256 of the executable.
type Lock struct {
	Path string
	Pins map[string]string
}

type lockSchema struct {
	Plugins []struct {
		Ref    string `hcl:"ref,label"`
		SHA256 string `hcl:"sha256"`
	} `hcl:"plugin,block"`
}

// ReadLock reads the lock file of folder dir; a missing one is empty.
func ReadLock(dir string) (*Lock, error) {
	l := &Lock{Path: filepath.Join(dir, LockFile), Pins: map[string]string{}}
	src, err := os.ReadFile(l.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, err
	}
	f, diags := hclparse.NewParser().ParseHCL(src, l.Path)
	var raw lockSchema
	if !diags.HasErrors() {
		diags = gohcl.DecodeBody(f.Body, nil, &raw)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", l.Path, diags.Error())
	}
	for _, p := range raw.Plugins {
		l.Pins[p.Ref] = p.SHA256
	}
	return l, nil
}

// Write writes the lock file, pins sorted by reference.
func (l *Lock) Write() error {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	for i, ref := range slices.Sorted(maps.Keys(l.Pins)) {
		if i > 0 {
			body.AppendNewline()
		}
		b := body.AppendNewBlock("plugin", []string{ref})
		b.Body().SetAttributeValue("sha256", cty.StringVal(l.Pins[ref]))
	}
	header := "# Written by `xlbench lock`: the sha256 of every external plugin the specs in\n" +
		"# this folder name. xlbench starts no plugin whose executable differs.\n\n"
	return safepath.WriteFile(l.Path, append([]byte(header), hclwrite.Format(f.Bytes())...), 0o644)
}

// external lists the components that name an external plugin.
func (s *Spec) external() []*Component {
	var out []*Component
	for _, c := range slices.Concat(s.Encoders, s.Samplers, s.Readers) {
		if c.External() {
			out = append(out, c)
		}
	}
	return out
}

// External reports whether the component names an external plugin (a
// path), not a built-in.
func (c *Component) External() bool { return !strings.HasPrefix(c.Written, plugins.BuiltinPrefix) }

// checkPin reports, at the plugin attribute, an external plugin whose
// executable is not pinned in the lock beside its spec, or differs; it
// returns the pinned sha256 of one that matches.
func checkPin(c *Component, locks map[string]*Lock) (string, *hcl.Diagnostic) {
	dir := filepath.Dir(c.Range.Filename)
	lock, ok := locks[dir]
	if !ok {
		var err error
		if lock, err = ReadLock(dir); err != nil {
			return "", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unreadable lock file", Detail: err.Error(), Subject: c.PluginRange.Ptr()}
		}
		locks[dir] = lock
	}
	have, err := filehash.SHA256(c.Plugin)
	if err != nil {
		return "", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown plugin",
			Detail: fmt.Sprintf("Plugin %q (%s): %v.", c.Written, c.Plugin, err), Subject: c.PluginRange.Ptr()}
	}
	want, pinned := lock.Pins[c.Written]
	switch {
	case !pinned:
		return "", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Plugin not pinned",
			Detail: fmt.Sprintf("Plugin %q (sha256 %s) is not pinned in %s, so it is not started. If you trust it, pin it: xlbench lock %s",
				c.Written, have, lock.Path, c.Range.Filename), Subject: c.PluginRange.Ptr()}
	case want != have:
		return "", &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Plugin differs from its pin",
			Detail: fmt.Sprintf("Plugin %q has sha256 %s, but %s pins %s, so it is not started. If the change is yours, pin it again: xlbench lock %s",
				c.Written, have, lock.Path, want, c.Range.Filename), Subject: c.PluginRange.Ptr()}
	}
	return have, nil
}

// Relock pins every external plugin of s in the lock beside its spec file
// and writes the locks that changed. It returns the changes, one line each
// ("+ ref sha256" for a new pin, "~ ref old → new" for a changed one); pins
// of plugins these specs do not name are kept (other specs of the folder
// may name them).
func (s *Spec) Relock() ([]string, error) {
	locks := map[string]*Lock{}
	var changes []string
	changed := map[string]bool{}
	for _, c := range s.external() {
		dir := filepath.Dir(c.Range.Filename)
		lock, ok := locks[dir]
		if !ok {
			var err error
			if lock, err = ReadLock(dir); err != nil {
				return nil, err
			}
			locks[dir] = lock
		}
		sum, err := filehash.SHA256(c.Plugin)
		if err != nil {
			return nil, fmt.Errorf("plugin %q of %s %q: %w", c.Written, c.Kind, c.Name, err)
		}
		switch old, ok := lock.Pins[c.Written]; {
		case !ok:
			changes = append(changes, fmt.Sprintf("+ %s %s", c.Written, sum))
		case old != sum:
			changes = append(changes, fmt.Sprintf("~ %s %s → %s", c.Written, old, sum))
		default:
			continue
		}
		lock.Pins[c.Written] = sum
		changed[dir] = true
	}
	for dir := range changed {
		if err := locks[dir].Write(); err != nil {
			return nil, err
		}
	}
	slices.Sort(changes)
	return slices.Compact(changes), nil
}
