// Package safepath joins paths that come from specs, data and results to
// their root, and refuses any that would leave it: after cleaning (a ".."
// or an absolute path) and after resolving symbolic links (a link inside
// the root that points out of it).
package safepath

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Join returns root joined with rel (slash-separated), or an error naming
// both when the result is not inside root. Parts of the path that do not
// exist yet are allowed (a result about to be written); the deepest part
// that exists must resolve inside root's own resolution.
func Join(root, rel string) (string, error) {
	if rel == "" || filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", fmt.Errorf("path %q: not a relative path inside %s", rel, root)
	}
	joined := filepath.Join(root, filepath.FromSlash(rel))
	if !inside(filepath.Clean(root), joined) {
		return "", fmt.Errorf("path %q leaves %s", rel, root)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if errors.Is(err, fs.ErrNotExist) {
		return joined, nil // nothing exists yet, so nothing can point elsewhere
	}
	if err != nil {
		return "", err
	}
	// The deepest existing ancestor decides where the path really goes.
	p := joined
	for {
		if _, err := os.Lstat(p); err == nil {
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			return joined, nil
		}
		p = parent
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", rel, err)
	}
	if !inside(realRoot, real) {
		return "", fmt.Errorf("path %q leaves %s: %s is a symbolic link to %s", rel, root, p, real)
	}
	return joined, nil
}

// inside reports whether path is root or below it (both clean).
func inside(root, path string) bool {
	r, err := filepath.Rel(root, path)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}
