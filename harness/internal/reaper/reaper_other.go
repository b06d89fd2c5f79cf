//go:build !linux

package reaper

// Adopt does nothing off Linux, which has no subreapers.
func Adopt() {}

// KillOrphans does nothing off Linux.
func KillOrphans() {}
