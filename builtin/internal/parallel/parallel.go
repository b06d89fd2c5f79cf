// Package parallel spreads independent work over the cores, for the
// built-in plugins.
package parallel

import (
	"runtime"
	"sync"
)

// For calls f(0..n-1), each index once, in contiguous chunks, one per
// core. f must be safe to call concurrently for different indices.
func For(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				f(i)
			}
		}()
	}
	wg.Wait()
}
