package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestHostileSpecs: 100,000 nested parentheses are a diagnostic at the
// 65th, not a stack overflow that kills the process; a 711-byte string of
// five nested %{for} loops (10⁸ iterations) is refused before it is
// evaluated; a link to /dev/zero named as a spec (a spec may be a pipe)
// and a spec over MaxSpecBytes stop at the limit.
func TestHostileSpecs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(src), 0o644)
		return p
	}
	list := "[" + strings.TrimSuffix(strings.Repeat("1,", 40), ",") + "]"
	loops := ""
	for _, v := range "abcde" {
		loops += fmt.Sprintf("%%{for %c in %s}", v, list)
	}
	loops += "x" + strings.Repeat("%{endfor}", 5)
	zero := filepath.Join(dir, "zero.hcl")
	os.Symlink("/dev/zero", zero)
	for _, c := range []struct {
		name, file, want string
	}{
		{"nesting", write("nest.hcl", "x = "+strings.Repeat("(", 100000)+"1"+strings.Repeat(")", 100000)+"\n"), "nest.hcl:1:69: error: Nesting too deep"},
		{"template loops", write("loops.hcl", "dataset \"d\" {\n  format = \"lareqa\"\n  path   = \""+loops+"\"\n}\n"), "loops.hcl:3:13: error: Template loops are not allowed"},
		{"/dev/zero", zero, "holds more than 1048576 bytes, the limit for a spec"},
		{"too large", write("big.hcl", "# "+strings.Repeat("x", MaxSpecBytes)+"\n"), "big.hcl holds more than"},
	} {
		done := make(chan string, 1)
		go func() {
			_, diags := Parse(c.file)
			var b strings.Builder
			WriteDiagnostics(&b, nil, diags)
			done <- b.String()
		}()
		select {
		case got := <-done:
			if !strings.Contains(got, c.want) {
				t.Errorf("%s: diagnostics %q lack %q", c.name, got, c.want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: parsing did not end", c.name)
		}
	}
}

// TestLockFileHazards: a lock file that pins a plugin twice is an error
// naming both lines; a FIFO in place of the lock file is refused at once;
// eight `lock` runs at once in one folder, each pinning its own plugin,
// leave all eight pins (the read-modify-write is serialised by a file
// lock; without it, later writes dropped earlier pins).
func TestLockFileHazards(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, LockFile)
	os.WriteFile(lock, []byte("plugin \"./a\" {\n  sha256 = \"1\"\n}\n\nplugin \"./a\" {\n  sha256 = \"2\"\n}\n"), 0o644)
	if _, err := ReadLock(dir); err == nil || !strings.Contains(err.Error(), `plugin "./a" is pinned twice, at line 1 and line 5`) {
		t.Errorf("duplicate pin: %v", err)
	}
	os.Remove(lock)
	if err := syscall.Mkfifo(lock, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadLock(dir); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("FIFO lock file: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO lock file did not end")
	}
	os.Remove(lock)

	const n = 8
	var specs []*Spec
	for i := range n {
		plugin := filepath.Join(dir, fmt.Sprintf("p%d", i))
		os.WriteFile(plugin, []byte(fmt.Sprintf("#!/bin/sh\n# %d\n", i)), 0o755)
		file := filepath.Join(dir, fmt.Sprintf("s%d.hcl", i))
		os.WriteFile(file, []byte(fmt.Sprintf("sampler \"s\" {\n  plugin = \"./p%d\"\n}\n", i)), 0o644)
		s, diags := Parse(file)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		specs = append(specs, s)
	}
	var wg sync.WaitGroup
	for _, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Relock(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	l, err := ReadLock(dir)
	if err != nil || len(l.Pins) != n {
		t.Errorf("%d pins after %d concurrent locks (%v): %v", len(l.Pins), n, err, l.Pins)
	}
}
