// Package parallel spreads independent calls over the cores: the one
// parallel-for of xlbench (the harness's ranking and statistics, the
// built-in plugins' encoding and training) and of any Go plugin that
// wants it.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls f(0) … f(n−1), each index once, on as many goroutines as
// there are cores (none for n ≤ 1 or one core: the calls run in order on
// the caller's). Workers take contiguous runs of indices, a quarter of
// an even share at a time, so uneven calls still balance. Each call must
// write only its own outputs, so the order of execution changes nothing.
//
// A panic in f is raised again in the caller once every worker has
// stopped (the first one, if several panicked), where the caller's recover
// can catch it: a panic left in a worker goroutine would end the process.
func For(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	grain := max(1, n/(4*workers))
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var caught any
	panicked := false
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					if !panicked {
						caught, panicked = p, true
					}
					mu.Unlock()
					next.Store(int64(n)) // the others stop taking work
				}
			}()
			for {
				lo := int(next.Add(int64(grain))) - grain
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+grain, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
	if panicked {
		panic(caught)
	}
}
