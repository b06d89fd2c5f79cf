// Package parallel runs independent calls on every core.
package parallel

import (
	"runtime"
	"sync"
)

// Do calls f(0) … f(n−1), as many at once as there are cores. Each call
// must write only its own outputs, so the order of execution changes
// nothing.
func Do(n int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}
