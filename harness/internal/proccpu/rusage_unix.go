//go:build unix

package proccpu

import (
	"syscall"
	"time"
)

func run() (self, children time.Duration, ok bool) {
	cpu := func(who int) (time.Duration, bool) {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) != nil {
			return 0, false
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
	}
	self, ok1 := cpu(syscall.RUSAGE_SELF)
	children, ok2 := cpu(syscall.RUSAGE_CHILDREN)
	return self, children, ok1 && ok2
}
