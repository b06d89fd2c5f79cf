package pluginhost

// SetAfterHash installs a hook between hashing an external plugin's
// executable and starting it (nil removes it).
func SetAfterHash(f func(path string)) { afterHash = f }
