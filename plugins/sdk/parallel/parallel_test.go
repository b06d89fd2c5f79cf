package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestFor: every index is called exactly once, for every n around the
// grain's edges, and no more calls run at once than there are cores.
func TestFor(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 8, 9, 31, 32, 33, 1000} {
		calls := make([]int32, n)
		var running, most atomic.Int32
		For(n, func(i int) {
			r := running.Add(1)
			for {
				m := most.Load()
				if r <= m || most.CompareAndSwap(m, r) {
					break
				}
			}
			atomic.AddInt32(&calls[i], 1)
			running.Add(-1)
		})
		for i, c := range calls {
			if c != 1 {
				t.Fatalf("n=%d: f(%d) called %d times", n, i, c)
			}
		}
		if m := int(most.Load()); m > runtime.GOMAXPROCS(0) {
			t.Errorf("n=%d: %d calls at once, more than GOMAXPROCS %d", n, m, runtime.GOMAXPROCS(0))
		}
	}
}

// TestForPanic: a panic in a call reaches the caller, where recover
// catches it, with every worker stopped; on one core too.
func TestForPanic(t *testing.T) {
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		got := func() (p any) {
			defer func() { p = recover() }()
			For(100, func(i int) {
				if i == 57 {
					panic("boom")
				}
			})
			return nil
		}()
		runtime.GOMAXPROCS(old)
		if got != "boom" {
			t.Errorf("GOMAXPROCS %d: recovered %v, want the call's panic", procs, got)
		}
	}
}
