package runner

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/results"
)

// LockOut claims the results directory out for this process, so that two
// runs never compute and write the same cells at once. A `run` takes it
// alone (shared false); the tasks of one job array (`cell run`) share it
// (shared true), each writing its own cell, and exclude a `run`. When it is
// taken, LockOut does not wait: it fails with a message that names the
// holder. The lock ends with the process, however it ends.
func LockOut(out string, shared bool) (unlock func(), err error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	path := results.OutLockPath(out)
	f, err := safepath.OpenLock(path)
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_EX
	if shared {
		how = unix.LOCK_SH
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		holder, _ := os.ReadFile(path)
		who := strings.TrimSpace(string(holder))
		if who == "" {
			who = "the tasks of a job array"
		}
		return nil, fmt.Errorf("results directory %s is in use by another xlbench run (%s): wait for it to end, or write to another -out", out, who)
	}
	if !shared {
		// Say who holds it, for the message above.
		f.Truncate(0)
		fmt.Fprintf(f, "pid %d, %s, since %s", os.Getpid(), strings.Join(os.Args, " "), time.Now().Format(time.RFC3339))
	}
	return func() {
		if !shared {
			f.Truncate(0)
		}
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
