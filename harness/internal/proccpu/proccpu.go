// Package proccpu reads the CPU time a running process has used (user and
// system, all its threads), so that a run can say which phase of a cell
// cost its plugin process how much.
package proccpu

import "time"

// Of returns the CPU time process pid has used so far; ok is false where
// the system does not say (not Linux, or the process is gone).
func Of(pid int) (time.Duration, bool) { return of(pid) }

// Run returns the CPU time (user and system) this process has used, and
// that of its children that have ended and been waited for (plugin
// processes, once stopped); ok is false where the system does not say.
func Run() (self, children time.Duration, ok bool) { return run() }
