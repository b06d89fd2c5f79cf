//go:build !linux

package pluginhost

import "os/exec"

// setDeathSignal has no kernel support here; plugins watch their parent
// instead (plugins.Serve).
func setDeathSignal(*exec.Cmd) {}

// killGroup kills the plugin process (process groups are Linux-only here).
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

// fdExecPath starts the file a plugin's command passes as its first extra
// descriptor (3) in the child (the descriptor file system of BSD and macOS).
const fdExecPath = "/dev/fd/3"
