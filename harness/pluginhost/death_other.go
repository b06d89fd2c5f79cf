//go:build !linux

package pluginhost

import "os/exec"

// setDeathSignal has no kernel support here; plugins watch their parent
// instead (plugins.Serve).
func setDeathSignal(*exec.Cmd) {}
