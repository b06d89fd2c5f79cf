// Package filehash is the one place xlbench hashes a file: cell ids hash
// data files and plugin executables, lock files pin plugins, and a result
// ties its per-query file to itself.
package filehash

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// SHA256 is the hex sha256 of the bytes of the file at path, which must
// be a regular file: a FIFO or a device in place of a data file, a plugin
// or a spec would block the hash forever, or never end it.
func SHA256(path string) (string, error) {
	f, err := safepath.OpenRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum, err := Of(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return sum, nil
}

// Of is the hex sha256 of what r holds (an open file, hashed where it is
// then used: the plugin host hashes and starts the same open executable).
func Of(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
