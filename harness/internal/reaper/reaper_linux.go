//go:build linux

// Package reaper keeps a plugin's descendants from outliving xlbench. A
// plugin's children share its process group, which the host kills; but a
// descendant that calls setsid leaves the group, and when its parent dies
// it would be adopted by init and live on. xlbench makes itself the
// subreaper of its descendants (PR_SET_CHILD_SUBREAPER), so such orphans
// are adopted by it, and KillOrphans ends them when a command ends.
package reaper

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const prSetChildSubreaper = 36

// Adopt makes this process the subreaper of its descendants.
func Adopt() {
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// KillOrphans kills every child of this process: called when a command
// has ended and closed its plugins, the children left are descendants
// that escaped their plugin's process group. Killing one hands its own
// children to this process, so it repeats until none is left (for at most
// a second).
func KillOrphans() {
	self := os.Getpid()
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		kids := children(self)
		if len(kids) == 0 {
			return
		}
		for _, pid := range kids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		// Reap them, so that they leave the process table.
		for _, pid := range kids {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// children lists the live processes whose parent is ppid (zombies left
// out), from /proc.
func children(ppid int) []int {
	var out []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses,
		// so fields are counted after the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 2 || string(f[0]) == "Z" {
			continue
		}
		if p, err := strconv.Atoi(string(f[1])); err == nil && p == ppid {
			pid, _ := strconv.Atoi(filepath.Base(d))
			out = append(out, pid)
		}
	}
	return out
}
