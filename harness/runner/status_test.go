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
	r := New(Config{Log: &log})
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

// liveLog records the events a watcher is told.
type liveLog struct {
	live []string
}

func (l *liveLog) CellStatus(cell, what string) { l.live = append(l.live, cell+"="+what) }

// TestStatusGoesLive: with a watcher of events (a terminal's console)
// each cell's state goes to it as it changes, and a finished cell is
// removed from it; nothing is printed as a status line.
func TestStatusGoesLive(t *testing.T) {
	events, log := &liveLog{}, &bytes.Buffer{}
	r := New(Config{Log: log, Events: events})
	r.setStatus("e/bm25.seed1", "evaluating on xquad-r")
	r.setStatus("e/bm25.seed1", "")
	want := "e/bm25.seed1=evaluating on xquad-r|e/bm25.seed1="
	if got := strings.Join(events.live, "|"); got != want {
		t.Errorf("live calls %q, want %q", got, want)
	}
	if log.Len() != 0 {
		t.Errorf("printed %q", log.String())
	}
}
