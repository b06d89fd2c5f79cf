package safepath

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// CreateTemp creates a new file beside path, with a name of its own that no
// link planted in advance can take (O_EXCL), for writing before it is moved
// into place with os.Rename (which replaces a link at path, never what the
// link points to).
func CreateTemp(path string) (*os.File, error) {
	return os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
}

// WriteFile writes data to path through a new temporary file renamed into
// place: a symbolic link planted at path (or at a fixed temporary name) is
// replaced, not followed, so no victim file elsewhere is overwritten, and
// a reader never sees half a file.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := CreateTemp(path)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// OpenLock opens (creating it if missing) a lock file for flock without
// following a symbolic link at path: a planted link is an error, not a
// way to create or truncate a file elsewhere.
func OpenLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		if st, lerr := os.Lstat(path); lerr == nil && st.Mode()&os.ModeSymlink != 0 {
			return nil, fmt.Errorf("lock file %s is a symbolic link; remove it", path)
		}
		return nil, err
	}
	return f, nil
}
