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
