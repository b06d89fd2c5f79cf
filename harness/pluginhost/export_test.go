package pluginhost

// SetAfterHash installs a hook between hashing an external plugin's
// executable and starting it (nil removes it).
func SetAfterHash(f func(path string)) { afterHash = f }

// KillHard SIGKILLs the plugin process alone, as the kernel's OOM killer
// would: it cannot remove its socket.
func (i *Instance) KillHard() {
	i.cmd.Process.Kill()
	i.cmd.Process.Wait()
}
