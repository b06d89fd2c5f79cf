package proccpu_test

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/xlbench/xlbench/harness/internal/proccpu"
)

// TestOwnCPU: this process's CPU time grows as it burns CPU; a process
// that does not exist has none.
func TestOwnCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("read from /proc on Linux")
	}
	before, ok := proccpu.Of(os.Getpid())
	if !ok {
		t.Fatal("no CPU time for this process")
	}
	// Busy work until the reading has grown by 200 ms: it must, within
	// 30 s of wall time however loaded the machine is.
	x := 0.0
	deadline := time.Now().Add(30 * time.Second)
	for {
		for i := range 100000 {
			x += float64(i)
		}
		now, ok := proccpu.Of(os.Getpid())
		if ok && now-before >= 200*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time grew by %v in 30 s of busy work (x=%g)", now-before, x)
		}
	}
	if _, ok := proccpu.Of(1 << 30); ok {
		t.Error("a process that does not exist has a CPU time")
	}
}
