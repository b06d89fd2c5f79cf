package peakrss_test

import (
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/xlbench/xlbench/harness/internal/peakrss"
)

// TestPeaks: this process's peak covers memory it has touched, and a
// child's peak is seen once the child has been waited for.
func TestPeaks(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the figures are checked on Linux")
	}
	const touched = 64 << 20
	buf := make([]byte, touched)
	for i := range buf {
		buf[i] = 1
	}
	got, ok := peakrss.Self()
	if !ok || got < touched {
		t.Errorf("Self() = %d, %v; want at least %d", got, ok, touched)
	}
	runtime.KeepAlive(buf)

	if os.Getenv("PEAKRSS_CHILD") == "1" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPeaks$")
	cmd.Env = append(os.Environ(), "PEAKRSS_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got, ok := peakrss.Children(); !ok || got < touched {
		t.Errorf("Children() = %d, %v; want at least %d", got, ok, touched)
	}
}
