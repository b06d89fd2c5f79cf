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
	"syscall"

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

// ReadLock reads the lock file of folder dir; a missing one is empty. A
// lock file is a regular file within MaxSpecBytes (a FIFO in its place
// is refused, not waited on), and pins each plugin once: a second pin of
// the same plugin is an error naming both lines, not a silent override.
func ReadLock(dir string) (*Lock, error) {
	l := &Lock{Path: filepath.Join(dir, LockFile), Pins: map[string]string{}}
	if _, err := os.Lstat(l.Path); errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	f, diags := parseBounded(hclparse.NewParser(), l.Path, true)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s", diags.Error())
	}
	content, diags := f.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "plugin", LabelNames: []string{"ref"}}}})
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s", diags.Error())
	}
	where := map[string]hcl.Range{}
	for _, b := range content.Blocks {
		var pin struct {
			SHA256 string `hcl:"sha256"`
		}
		if diags := gohcl.DecodeBody(b.Body, nil, &pin); diags.HasErrors() {
			return nil, fmt.Errorf("%s", diags.Error())
		}
		ref := b.Labels[0]
		if prev, dup := where[ref]; dup {
			return nil, fmt.Errorf("%s: plugin %q is pinned twice, at line %d and line %d: keep one (xlbench lock rewrites the file)", b.DefRange.String(), ref, prev.Start.Line, b.DefRange.Start.Line)
		}
		where[ref] = b.DefRange
		l.Pins[ref] = pin.SHA256
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
	byDir := map[string][]*Component{}
	for _, c := range s.external() {
		dir := filepath.Dir(c.Range.Filename)
		byDir[dir] = append(byDir[dir], c)
	}
	var changes []string
	for _, dir := range slices.Sorted(maps.Keys(byDir)) {
		ch, err := relockDir(dir, byDir[dir])
		if err != nil {
			return nil, err
		}
		changes = append(changes, ch...)
	}
	slices.Sort(changes)
	return slices.Compact(changes), nil
}

// relockDir pins cs in dir's lock file. It holds an exclusive lock on the
// folder itself from reading the pins to writing them, so that two
// `xlbench lock` runs in one folder add their pins one after the other
// instead of the second overwriting the first's, and no lock file is left
// beside the spec.
func relockDir(dir string, cs []*Component) ([]string, error) {
	guard, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer guard.Close()
	if err := syscall.Flock(int(guard.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	lock, err := ReadLock(dir)
	if err != nil {
		return nil, err
	}
	var changes []string
	for _, c := range cs {
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
	}
	if len(changes) == 0 {
		return nil, nil
	}
	return changes, lock.Write()
}
