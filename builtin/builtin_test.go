package builtin

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSourcesExist: every built-in names the folder of its source, the
// page the leaderboard links its results to.
func TestSourcesExist(t *testing.T) {
	for _, name := range Names() {
		p, _ := Lookup(name)
		if st, err := os.Stat(filepath.Join("..", p.Source)); p.Source == "" || err != nil || !st.IsDir() {
			t.Errorf("built-in %s: source %q is not a folder of the repository (%v)", name, p.Source, err)
		}
	}
}
