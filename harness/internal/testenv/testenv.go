// Package testenv locates what tests need from outside the module.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// ModuleRoot returns the repository root (the directory holding go.mod).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// SharedData returns the shared data directory ($XLBENCH_DATA, else
// ../shared/data beside the repository). When it is missing the test is
// skipped on a developer machine and fails under CI (CI=true), where a
// skipped data test would hide a broken set-up.
func SharedData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("XLBENCH_DATA")
	if dir == "" {
		dir = filepath.Join(ModuleRoot(), "..", "shared", "data")
	}
	if st, err := os.Stat(filepath.Join(dir, "xquad-r")); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing under CI: %s/xquad-r not found", dir)
		}
		t.Skipf("shared data not found at %s", dir)
	}
	return dir
}
