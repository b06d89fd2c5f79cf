package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/xlbench/xlbench/harness/internal/console"
	"github.com/xlbench/xlbench/harness/internal/filehash"
	"github.com/xlbench/xlbench/harness/report"
	"github.com/xlbench/xlbench/harness/statcache"
)

// statsCache is the cache of randomisation tests and intervals, in the
// user's cache folder ($XDG_CACHE_HOME/xlbench/stats), under the sha256 of
// this executable: a rebuilt xlbench computes its own. Opened once; none
// (everything computed) where there is no cache folder.
var statsCache = sync.OnceValue(func() report.Cache {
	root, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	sum, err := filehash.SHA256(exe)
	if err != nil {
		return nil
	}
	d, err := statcache.Open(filepath.Join(root, "xlbench", "stats"), sum)
	if err != nil {
		return nil
	}
	return d
})

// stats runs the report's tests with the cache and, on a terminal, a live
// line saying how far they are (a first report of the reference results
// computes for seconds; later ones read the cache).
func (a *App) stats() report.Stats {
	st := report.Stats{Cache: statsCache()}
	if a.live != nil {
		live := a.live
		st.Progress = func(what string, done, total int) {
			text := fmt.Sprintf("%s: %d of %d", what, done, total)
			if done == total {
				text = ""
			}
			live.Live("stats", text)
		}
	}
	return st
}

// withLive gives the command a live line on a terminal for as long as it
// runs; the returned function clears it.
func (a *App) withLive() func() {
	a.live = console.New(a.Stderr)
	return func() {
		if a.live != nil {
			a.live.Close()
			a.live = nil
		}
	}
}
