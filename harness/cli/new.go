package cli

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

//go:embed newplugin/*.tmpl
var skeletons embed.FS

// pluginName is what a new plugin may be called: it names a folder, a
// binary, a Python module and a spec block.
var pluginName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// skeletonFiles lists, per kind and language, the files `xlbench new`
// writes and the templates they come from; NAME stands for the plugin's
// name.
var skeletonFiles = map[string]map[string]map[string]string{
	"sampler": {
		"go":     {"main.go": "main.go.tmpl", "main_test.go": "main_test.go.tmpl", "compare.hcl": "compare-go.hcl.tmpl"},
		"python": {"NAME.py": "sampler.py.tmpl", "test_NAME.py": "test_sampler.py.tmpl", "compare.hcl": "compare-python.hcl.tmpl"},
	},
	"encoder": {
		"go":     {"main.go": "encoder-main.go.tmpl", "main_test.go": "encoder-main_test.go.tmpl", "compare.hcl": "compare-encoder-go.hcl.tmpl"},
		"python": {"NAME.py": "encoder.py.tmpl", "test_NAME.py": "test_encoder.py.tmpl", "compare.hcl": "compare-encoder-python.hcl.tmpl"},
	},
}

// cmdNew writes the skeleton of a sampler or encoder plugin: code, a test
// of its defining property to fill in, and the compare file, all passing
// `plugin check` and their tests as written.
func (a *App) cmdNew(_ context.Context, args []string) error {
	const usage = "usage: xlbench new sampler|encoder [-lang go|python] [-dir DIR] NAME"
	if len(args) == 0 || skeletonFiles[args[0]] == nil {
		return errors.New(usage)
	}
	kind := args[0]
	fs := a.flags("new "+kind, "[-lang go|python] [-dir DIR] NAME")
	lang := fs.String("lang", "go", "go or python")
	dir := fs.String("dir", "", "folder to write, relative to the repository root (default plugins/NAME)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(usage)
	}
	name := fs.Arg(0)
	if !pluginName.MatchString(name) {
		return fmt.Errorf("plugin name %q: use lower-case letters, digits and _, starting with a letter (it names a folder, a binary and a Python module)", name)
	}
	if *dir == "" {
		*dir = filepath.Join("plugins", name)
	}
	clean := filepath.ToSlash(filepath.Clean(*dir))
	if filepath.IsAbs(*dir) || clean == "." || strings.HasPrefix(clean, "../") || clean == ".." {
		return fmt.Errorf("-dir %s: a folder inside the repository, relative to its root", *dir)
	}
	templates, ok := skeletonFiles[kind][*lang]
	if !ok {
		return fmt.Errorf("-lang %q: go or python", *lang)
	}
	files := map[string]string{}
	for out, tmpl := range templates {
		files[strings.ReplaceAll(out, "NAME", name)] = tmpl
	}
	if _, err := os.Stat(clean); err == nil {
		return fmt.Errorf("%s exists; new writes a fresh folder", clean)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// The folder must stay inside the working directory also through any
	// symbolic link on its way (-dir link/x, link pointing elsewhere).
	if _, err := safepath.Join(".", clean); err != nil {
		return fmt.Errorf("-dir %s: %w", *dir, err)
	}
	data := struct{ Name, Dir, Up string }{name, clean, strings.Repeat("../", strings.Count(clean, "/")+1)}
	if err := os.MkdirAll(clean, 0o755); err != nil {
		return err
	}
	for out, tmpl := range files {
		// [[ ]]: Go composite literals are full of {{.
		t, err := template.New(tmpl).Delims("[[", "]]").ParseFS(skeletons, "newplugin/"+tmpl)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(out, ".py") && !strings.HasPrefix(out, "test_") {
			mode = 0o755 // the host starts the script itself
		}
		if err := os.WriteFile(filepath.Join(clean, out), b.Bytes(), mode); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "wrote %s\n", filepath.Join(clean, out))
	}
	next := fmt.Sprintf("go test ./%s && go build -o bin/%s ./%s && bin/xlbench plugin check bin/%s", clean, name, clean, name)
	if *lang == "python" {
		next = fmt.Sprintf("/usr/bin/python3 -m unittest discover -s %s && bin/xlbench plugin check %s/%s.py", clean, clean, name)
	}
	fmt.Fprintf(a.Stdout, "next: %s\nthen: bin/xlbench lock specs/xquad-r.hcl %s/compare.hcl && make compare %sS=%s/compare.hcl\n",
		next, clean, strings.ToUpper(kind), clean)
	return nil
}
