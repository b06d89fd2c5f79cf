package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
