package runner

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/harness/spec"
)

// Machine describes the machine this process runs on.
func Machine() results.Machine {
	host, _ := os.Hostname()
	return results.Machine{Hostname: host, OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
}

// SpecFiles hashes the spec files a run is given and the lock files
// beside them (those that exist), for the results' manifests.
func SpecFiles(files []string) (specs, locks []results.FileHash, err error) {
	seen := map[string]bool{}
	for _, f := range files {
		sum, err := filehash.SHA256(f)
		if err != nil {
			return nil, nil, err
		}
		specs = append(specs, results.FileHash{Path: filepath.ToSlash(f), SHA256: sum})
		lock := filepath.Join(filepath.Dir(f), spec.LockFile)
		if seen[lock] {
			continue
		}
		seen[lock] = true
		if _, err := os.Stat(lock); err != nil {
			continue
		}
		sum, err = filehash.SHA256(lock)
		if err != nil {
			return nil, nil, err
		}
		locks = append(locks, results.FileHash{Path: filepath.ToSlash(lock), SHA256: sum})
	}
	return specs, locks, nil
}
