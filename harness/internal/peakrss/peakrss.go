// Package peakrss reports peak resident memory (the kernel's high-water
// mark of a process's RSS), of this process and of its largest finished
// child, for the memory figures of runs and benchmarks.
package peakrss

// Self returns this process's peak RSS in bytes so far; ok is false where
// the system does not say.
func Self() (bytes int64, ok bool) { return peak(self) }

// Children returns the largest peak RSS in bytes of this process's
// children that have ended and been waited for (plugin processes, once
// stopped); ok is false where the system does not say.
func Children() (bytes int64, ok bool) { return peak(children) }
