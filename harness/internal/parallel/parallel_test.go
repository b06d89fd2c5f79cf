package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// Every index is called exactly once, and no more calls run at once than
// there are cores.
func TestDo(t *testing.T) {
	const n = 1000
	calls := make([]int32, n)
	var running, most atomic.Int32
	Do(n, func(i int) {
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
			t.Fatalf("f(%d) called %d times", i, c)
		}
	}
	if m := int(most.Load()); m > maxProcs() {
		t.Errorf("%d calls at once, more than GOMAXPROCS %d", m, maxProcs())
	}
}

func maxProcs() int { return runtime.GOMAXPROCS(0) }
