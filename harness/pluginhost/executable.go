package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	h.mu.Lock()
	if h.pins == nil {
		h.pins = map[string]string{}
	}
	h.pins[abs] = sha256
	h.mu.Unlock()
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
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("reading its executable: %w", err)
	}
	sum := hex.EncodeToString(hash.Sum(nil))
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	h.mu.Lock()
	if h.pins == nil {
		h.pins = map[string]string{}
	}
	want, pinned := h.pins[abs]
	if !pinned {
		h.pins[abs] = sum
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
