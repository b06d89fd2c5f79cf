package dataset

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileDir is a data directory with a folder d holding en.json as made
// by make, and de.json, which is valid.
func hostileDir(t *testing.T, make func(path string)) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	make(filepath.Join(dir, "d", "en.json"))
	return &Store{Dir: dir, Origin: "test"}, filepath.Join(dir, "d", "en.json")
}

// readWithin opens and reads rel, failing the test if that takes longer
// than a few seconds (a read that blocks for ever).
func readWithin(t *testing.T, s *Store, rel string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		rc, _, err := s.Open(rel)
		if err == nil {
			_, err = io.ReadAll(rc)
			rc.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("reading %s did not end within 10 s", rel)
		return nil
	}
}

// TestDataFileIsRegular: a FIFO that never delivers and a link to
// /dev/zero in place of a data file are errors naming the file, at once,
// instead of a read that never ends.
func TestDataFileIsRegular(t *testing.T) {
	s, path := hostileDir(t, func(p string) {
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("no FIFOs here: %v", err)
		}
	})
	err := readWithin(t, s, "d/en.json")
	if err == nil || !strings.Contains(err.Error(), path+" is not a regular file (a FIFO)") {
		t.Errorf("FIFO: %v", err)
	}
	s, path = hostileDir(t, func(p string) { os.Symlink("/dev/zero", p) })
	err = readWithin(t, s, "d/en.json")
	if err == nil || !strings.Contains(err.Error(), "en.json") {
		t.Errorf("link to /dev/zero: %v", err)
	}
}

// TestGzipBombIsBounded: a 200 MB gzip bomb under a 4 MB limit fails,
// naming the file and the limit, having allocated a few MB, not 200.
func TestGzipBombIsBounded(t *testing.T) {
	s, path := hostileDir(t, func(p string) {
		var b bytes.Buffer
		z, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		chunk := bytes.Repeat([]byte(" "), 1<<20)
		for range 200 {
			z.Write(chunk)
		}
		z.Close()
		os.WriteFile(p+".gz", b.Bytes(), 0o644)
	})
	s.MaxBytes = 4 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := mustFormat("lareqa").LoadEval(s, Decl{Name: "d", Path: "d", Languages: []string{"en"}})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), path+".gz holds more than 4194304 bytes (decompressed)") || !strings.Contains(err.Error(), MaxFileEnv) {
		t.Errorf("gzip bomb: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("reading the bomb allocated %d MB", grew>>20)
	}
}

// mustFormat is the format of a name that exists.
func mustFormat(name string) Format {
	f, ok := LookupFormat(name)
	if !ok {
		panic(name)
	}
	return f
}
