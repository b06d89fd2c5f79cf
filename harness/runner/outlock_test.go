package runner

import (
	"strings"
	"testing"
)

// TestLockOut: a run holds its results directory alone, and a second run
// is refused with a message naming the holder; the tasks of a job array
// share it, and exclude a run.
func TestLockOut(t *testing.T) {
	out := t.TempDir()
	unlock, err := LockOut(out, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockOut(out, false); err == nil || !strings.Contains(err.Error(), "is in use by another xlbench run (pid ") {
		t.Fatalf("second run: %v", err)
	}
	if _, err := LockOut(out, true); err == nil {
		t.Fatal("a job-array task ran beside a run")
	}
	unlock()
	a, err := LockOut(out, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LockOut(out, true)
	if err != nil {
		t.Fatalf("two tasks of an array: %v", err)
	}
	if _, err := LockOut(out, false); err == nil || !strings.Contains(err.Error(), "the tasks of a job array") {
		t.Fatalf("a run beside array tasks: %v", err)
	}
	a()
	b()
	if u, err := LockOut(out, false); err != nil {
		t.Fatalf("after everyone left: %v", err)
	} else {
		u()
	}
}
