// Package statcache keeps computed statistics on disk, each under a key
// that names what it was computed from, so that a report of results
// already reported costs their reading, not their randomisation tests and
// bootstraps again. Values are float64s stored bit for bit (an interval's
// +Inf degrees of freedom included). It is a cache: a value that cannot be
// read or written is computed again, never an error.
package statcache

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// maxValues bounds what one entry holds.
const maxValues = 64

// Dir is a cache folder: root/namespace/<key[:2]>/<key>. The namespace
// names the code that computed the values (the executable's sha256, 64
// hex digits), so a build that computes differently never reads another
// build's values.
type Dir struct {
	dir string
}

var validKey = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Open makes the namespace's folder under root and removes the other
// namespaces there: only the values of the running build are kept.
func Open(root, namespace string) (*Dir, error) {
	dir := filepath.Join(root, namespace)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if entries, err := os.ReadDir(root); err == nil {
		for _, e := range entries {
			if e.IsDir() && e.Name() != namespace && validKey.MatchString(e.Name()) {
				os.RemoveAll(filepath.Join(root, e.Name()))
			}
		}
	}
	return &Dir{dir: dir}, nil
}

func (d *Dir) path(key string) (string, bool) {
	if d == nil || !validKey.MatchString(key) {
		return "", false
	}
	return filepath.Join(d.dir, key[:2], key), true
}

// Get returns the values stored under key, if any.
func (d *Dir) Get(key string) ([]float64, bool) {
	p, ok := d.path(key)
	if !ok {
		return nil, false
	}
	f, err := safepath.OpenRegular(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var buf [8*maxValues + 1]byte
	n, _ := f.Read(buf[:])
	if n == 0 || n%8 != 0 || n > 8*maxValues {
		return nil, false
	}
	v := make([]float64, n/8)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
	}
	return v, true
}

// Put stores v under key, atomically: a reader sees all of it or none.
func (d *Dir) Put(key string, v []float64) {
	p, ok := d.path(key)
	if !ok || len(v) == 0 || len(v) > maxValues {
		return
	}
	buf := make([]byte, 0, 8*len(v))
	for _, x := range v {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
	}
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return
	}
	_, err = tmp.Write(buf)
	if err = errors.Join(err, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), p) != nil {
		os.Remove(tmp.Name())
	}
}
