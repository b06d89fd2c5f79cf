package dataset

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// TestUTF8Reader: valid text passes whole, also when multi-byte sequences
// are split across reads; the first invalid byte fails with its offset.
func TestUTF8Reader(t *testing.T) {
	valid := []byte(`{"q": "Wann wurde die Brücke eröffnet? 北京"}`)
	got, err := io.ReadAll(&utf8Reader{r: io.NopCloser(iotest.OneByteReader(bytes.NewReader(valid))), name: "v.json"})
	if err != nil || !bytes.Equal(got, valid) {
		t.Fatalf("valid text: %q, %v", got, err)
	}
	latin1 := []byte("{\"q\": \"Br\xfccke\"}") // ü in Latin-1
	_, err = io.ReadAll(&utf8Reader{r: io.NopCloser(iotest.HalfReader(bytes.NewReader(latin1))), name: "de.json"})
	if err == nil || err.Error() != "de.json: invalid UTF-8 at byte 9 (the file must be UTF-8)" {
		t.Fatalf("Latin-1: %v", err)
	}
	truncated := []byte("ok \xe5\x8c") // a sequence cut off by the end of the file
	if _, err := io.ReadAll(&utf8Reader{r: io.NopCloser(bytes.NewReader(truncated)), name: "t"}); err == nil || !strings.Contains(err.Error(), "at byte 3") {
		t.Fatalf("truncated: %v", err)
	}
}

// TestStoreRefuses: a Latin-1 data file, a language stored both plain and
// gzipped, and a language that names a path out of the data directory are
// errors that name the file.
func TestStoreRefuses(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "d", "de.json"), []byte("{\"x\": \"Br\xfccke\"}"), 0o644)
	os.WriteFile(filepath.Join(dir, "d", "en.json"), []byte(`{}`), 0o644)
	os.WriteFile(filepath.Join(dir, "d", "en.json.gz"), []byte(`not even gzip`), 0o644)
	s := &Store{Dir: dir, Origin: "test"}
	rc, _, err := s.Open("d/de.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "de.json: invalid UTF-8 at byte 9") {
		t.Errorf("Latin-1 file: %v", err)
	}
	if _, _, err := s.Open("d/en.json"); err == nil || !strings.Contains(err.Error(), "d/en.json and d/en.json.gz both exist") {
		t.Errorf("plain and gzipped: %v", err)
	}
	if _, _, err := s.Open("d/../../secret/pw.json"); err == nil || !strings.Contains(err.Error(), "leaves") {
		t.Errorf("path out of the data directory: %v", err)
	}
}
