package safepath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJoin(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(root, "ok", "deep"), 0o755)
	os.Symlink(outside, filepath.Join(root, "escape"))
	os.Symlink(filepath.Join(root, "ok"), filepath.Join(root, "alias"))
	for _, tc := range []struct {
		rel, err string
	}{
		{"ok/deep/file.json", ""},
		{"ok/new/dir/file", ""},           // not there yet: allowed
		{"alias/deep/x", ""},              // a link that stays inside
		{"a/../ok", ""},                   // cleans to inside
		{"../etc/passwd", "leaves"},       // climbs out
		{"ok/../../x", "leaves"},          // climbs out after cleaning
		{"/etc/passwd", "not a relative"}, // absolute
		{"", "not a relative"},
		{"escape/secret", "is a symbolic link to"}, // a link out of the root
		{"escape", "is a symbolic link to"},
	} {
		got, err := Join(root, tc.rel)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("Join(%q) = %v", tc.rel, err)
		case tc.err == "" && !strings.HasPrefix(got, root):
			t.Errorf("Join(%q) = %s, outside %s", tc.rel, got, root)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("Join(%q) = %q, %v; want an error with %q", tc.rel, got, err, tc.err)
		}
	}
}
