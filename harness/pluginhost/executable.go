package pluginhost

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/xlbench/xlbench/harness/internal/filehash"
)

// afterHash, when set (by tests), runs between hashing an external
// plugin's executable and starting it: the moment a swapped file would
// slip in if the host started the plugin by its path.
var afterHash func(path string)

// Pin makes the host start the external plugin at path only while its
// executable has this sha256 (the one its lock file pins and its cell ids
// record). A plugin the host starts without a pin is pinned by its first
// start, so every process of one run is the same file.
func (h *Host) Pin(path, sha256 string) {
	h.mu.Lock()
	h.pins[pinKey(path)] = sha256
	h.mu.Unlock()
}

// pinKey is the absolute path pins are kept under.
func pinKey(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// externalCommand opens an external plugin's executable once, hashes that
// open file, compares the hash with the plugin's pin and returns a command
// that starts exactly the file it hashed: the open file is handed to the
// child as descriptor 3 and executed through /proc/self/fd/3, so
// replacing the file at path after the check runs nothing new. A script
// works the same way: the kernel hands /proc/self/fd/3 to its interpreter,
// which reads the still-open file. The caller closes the returned file
// once the process has started.
func (h *Host) externalCommand(path string) (*exec.Cmd, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	sum, err := filehash.Of(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading its executable: %w", err)
	}
	key := pinKey(path)
	h.mu.Lock()
	want, pinned := h.pins[key]
	if !pinned {
		h.pins[key] = sum
	}
	h.mu.Unlock()
	if pinned && want != sum {
		f.Close()
		return nil, nil, fmt.Errorf("the executable changed after it was pinned: it now has sha256 %s, the pin %s, so it is not started (if the change is yours, pin it again with xlbench lock and rerun)", sum, want)
	}
	if afterHash != nil {
		afterHash(path)
	}
	cmd := exec.Command(fdExecPath)
	cmd.Args[0] = path // what ps shows, and the program name a Go plugin sees
	cmd.ExtraFiles = []*os.File{f}
	return cmd, f, nil
}
