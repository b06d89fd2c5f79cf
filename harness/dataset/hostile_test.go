package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
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
	s, _ = hostileDir(t, func(p string) { os.Symlink("/dev/zero", p) })
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

// TestLargeFileStreams: a 64 MB LAReQA file whose bulk is a field the
// loader does not keep (a 64 kB title per article) loads with the heap
// staying near what is kept plus one article, not the file: the loader
// decodes article by article. Reading the whole file first, as the
// loaders once did, holds 64 MB and more.
func TestLargeFileStreams(t *testing.T) {
	s, _ := hostileDir(t, func(p string) {
		f, _ := os.Create(p)
		w := bufio.NewWriter(f)
		title := strings.Repeat("t", 64<<10)
		w.WriteString(`{"version": "1", "data": [`)
		for i := range 1024 {
			if i > 0 {
				w.WriteString(",")
			}
			fmt.Fprintf(w, `{"title": %q, "paragraphs": [{"context": "ab cd", "sentences": ["ab cd"], "sentence_breaks": [[0, 5]],
				"qas": [{"id": "q%d", "question": "?", "answers": [{"answer_start": 0, "text": "ab"}]}]}]}`, title, i)
		}
		w.WriteString("]}")
		w.Flush()
		f.Close()
	})
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	c, err := mustFormat("lareqa").LoadEval(s, Decl{Name: "d", Path: "d", Languages: []string{"en"}})
	close(stop)
	<-done
	if err != nil || len(c.Questions) != 1024 {
		t.Fatalf("loaded %v, %v", c, err)
	}
	if p := peak.Load(); p > 32<<20 {
		t.Errorf("the heap reached %d MB loading a 64 MB file of which a few kB are kept", p>>20)
	}
}

// TestNamedFileIsBounded: a file named on the command line (a predictions
// file for score-qa) is held to the data files' rules: a FIFO is refused
// at once, and a file larger than $XLBENCH_MAX_FILE is an error naming it
// and the limit.
func TestNamedFileIsBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "preds.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFile(fifo, 0); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO did not end")
	}
	big := filepath.Join(dir, "big.json")
	os.WriteFile(big, bytes.Repeat([]byte(" "), 4096), 0o644)
	if _, err := ReadFile(big, 1000); err == nil || !strings.Contains(err.Error(), big+" holds more than 1000 bytes") {
		t.Errorf("over the limit: %v", err)
	}
}
