package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestStatusLine: the status line of a parallel run lists every running
// cell with what it does, in name order, and forgets finished cells.
func TestStatusLine(t *testing.T) {
	var log bytes.Buffer
	r := &Runner{Log: &log}
	r.setStatus("e/dual.hybrid.seed2", "training, step 10/40, loss 1.000")
	r.setStatus("e/bm25.seed1", "evaluating on xquad-r")
	r.setStatus("e/dual.mono.seed1", "starting")
	r.setStatus("e/dual.mono.seed1", "")
	want := "e/bm25.seed1: evaluating on xquad-r · e/dual.hybrid.seed2: training, step 10/40, loss 1.000"
	if got := r.statusLine(); got != want {
		t.Fatalf("status line %q, want %q", got, want)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { r.reportStatus(5*time.Millisecond, stop); close(done) }()
	time.Sleep(30 * time.Millisecond)
	close(stop)
	<-done
	if !strings.Contains(log.String(), "[running] "+want) {
		t.Errorf("log:\n%s", log.String())
	}
}
