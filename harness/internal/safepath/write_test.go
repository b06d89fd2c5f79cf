package safepath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWritesDoNotFollowPlantedLinks: a symbolic link planted where xlbench
// writes (LEADERBOARD.md, a lock file) never leads the write to the file it
// points to: WriteFile replaces the link with the new file, OpenLock
// refuses it.
func TestWritesDoNotFollowPlantedLinks(t *testing.T) {
	dir, victimDir := t.TempDir(), t.TempDir()
	victim := filepath.Join(victimDir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)

	target := filepath.Join(dir, "LEADERBOARD.md")
	if err := os.Symlink(victim, target); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("table"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the victim now holds %q", b)
	}
	if st, err := os.Lstat(target); err != nil || !st.Mode().IsRegular() {
		t.Errorf("%s is not a regular file after the write: %v", target, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "table" {
		t.Errorf("%s holds %q", target, b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("left beside it: %v", entries)
	}

	lock := filepath.Join(dir, ".xlbench.lock")
	missing := filepath.Join(victimDir, "created")
	for _, to := range []string{victim, missing} {
		os.Remove(lock)
		os.Symlink(to, lock)
		f, err := OpenLock(lock)
		if err == nil {
			f.Close()
			t.Errorf("a lock file linked to %s was opened", to)
		} else if !strings.Contains(err.Error(), "is a symbolic link") {
			t.Errorf("lock linked to %s: %v", to, err)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("the link's target was created")
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the victim now holds %q", b)
	}
}
