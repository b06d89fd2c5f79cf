//go:build unix

package peakrss

import (
	"runtime"
	"syscall"
)

const (
	self     = syscall.RUSAGE_SELF
	children = syscall.RUSAGE_CHILDREN
)

func peak(who int) (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, false
	}
	// ru_maxrss is in bytes on Darwin and in KiB on Linux and the BSDs.
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss), true
	}
	return int64(ru.Maxrss) * 1024, true
}
