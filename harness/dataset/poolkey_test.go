package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPoolKey: keys round-trip through String and ParsePoolKey; a key
// with a language that is not a code (pt-BR) is refused, not split.
func TestPoolKey(t *testing.T) {
	for _, k := range []PoolKey{{"de", ""}, {"de", "en"}, {"de", "de"}, {"zh", "ara"}} {
		got, err := ParsePoolKey(k.String())
		if err != nil || got != k {
			t.Errorf("%+v: String %q parses to %+v, %v", k, k.String(), got, err)
		}
	}
	if s := (PoolKey{"de", "de"}).String(); s != "de-de" {
		t.Errorf("a same-language training pair is written %q, want de-de", s)
	}
	if (PoolKey{"de", "de"}).Cross() || !(PoolKey{"de", "en"}).Cross() || (PoolKey{"de", ""}).Cross() {
		t.Error("Cross")
	}
	for _, bad := range []string{"", "pt-BR", "de-", "-de", "de-en-fr", "DE", "de-en:q1"} {
		if k, err := ParsePoolKey(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, k)
		}
	}
}

// TestDiscoveredLanguagesAreCodes: a lareqa folder whose languages are
// found on disk refuses a file whose name is not a language code (it
// would split wrongly as a pool key, or carry markup into the tables),
// naming the file; declared languages are checked by the spec.
func TestDiscoveredLanguagesAreCodes(t *testing.T) {
	for _, name := range []string{"pt-BR.json", "<img src=x onerror=alert(1)>.json", "EN.json.gz"} {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "d"), 0o755)
		os.WriteFile(filepath.Join(dir, "d", "en.json"), []byte(`{}`), 0o644)
		os.WriteFile(filepath.Join(dir, "d", name), []byte(`{}`), 0o644)
		f, _ := LookupFormat("lareqa")
		_, err := f.LoadEval(&Store{Dir: dir, Origin: "test"}, Decl{Name: "d", Path: "d"})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "d", name)) || !strings.Contains(err.Error(), "is not a language") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
