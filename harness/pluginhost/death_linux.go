package pluginhost

import (
	"os/exec"
	"syscall"
)

// setDeathSignal asks the kernel to SIGKILL the plugin when the host's
// spawning thread (see onSpawnThread) dies, which includes any death of the
// host, SIGKILL too; and starts the plugin in a process group of its own,
// so that killGroup reaches whatever the plugin started (the interpreter
// behind a wrapper script that does not exec, say).
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// killGroup SIGKILLs the plugin's process group: the plugin and every
// process it started that is still in it.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil && cmd.Process.Pid > 0 {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// fdExecPath starts the file a plugin's command passes as its first extra
// descriptor (3) in the child: the file the host opened and hashed.
const fdExecPath = "/proc/self/fd/3"
