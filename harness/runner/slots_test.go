package runner

import (
	"context"
	"testing"
	"time"
)

// TestComputeSlotsOrder: cells get freed slots in arrival order, a reader
// asking first before every waiting cell; never more than n are held.
func TestComputeSlotsOrder(t *testing.T) {
	ctx := context.Background()
	s := newComputeSlots(1)
	if err := s.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 3)
	// wait starts a waiter and returns once it is queued (the queues then
	// hold queued waiters), so waiters arrive in call order.
	wait := func(name string, first bool, queued int) {
		go func() {
			if err := s.acquire(ctx, first); err != nil {
				t.Error(err)
			}
			got <- name
		}()
		for {
			s.mu.Lock()
			n := len(s.cells) + len(s.first)
			s.mu.Unlock()
			if n == queued {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	wait("cell1", false, 1)
	wait("cell2", false, 2)
	wait("reader", true, 3)
	var order []string
	for range 3 {
		s.release()
		order = append(order, <-got)
		select {
		case extra := <-got:
			t.Fatalf("%s got a slot while %s held the only one", extra, order[len(order)-1])
		case <-time.After(10 * time.Millisecond):
		}
	}
	if want := "reader cell1 cell2"; order[0]+" "+order[1]+" "+order[2] != want {
		t.Fatalf("order %v, want %s", order, want)
	}
	s.release()
	if s.held != 0 {
		t.Fatalf("%d held after every release", s.held)
	}
	s.release() // nothing held: nothing happens
	if s.held != 0 {
		t.Fatalf("a release with nothing held made %d held", s.held)
	}
}

// TestComputeSlotsCancel: a waiter whose context ends leaves the queue
// holding nothing, and the slot goes to the next.
func TestComputeSlotsCancel(t *testing.T) {
	s := newComputeSlots(1)
	if err := s.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.acquire(ctx, true) }()
	for {
		s.mu.Lock()
		n := len(s.first)
		s.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait returned a slot")
	}
	s.release()
	if s.held != 0 || len(s.first) != 0 {
		t.Fatalf("held %d, queued %d after the cancelled wait", s.held, len(s.first))
	}
	if err := s.acquire(context.Background(), false); err != nil || s.held != 1 {
		t.Fatalf("the freed slot: %v, held %d", err, s.held)
	}
}

// TestComputeSlotsHandOn: a stage's slot is kept for the reader that
// expects it, not handed to a waiting cell; withdrawn, it goes to the cell.
func TestComputeSlotsHandOn(t *testing.T) {
	ctx := context.Background()
	for _, reads := range []bool{true, false} {
		s := newComputeSlots(1)
		if err := s.acquire(ctx, false); err != nil { // the stage
			t.Fatal(err)
		}
		withdraw := s.expect()
		cell := make(chan error, 1)
		go func() { cell <- s.acquire(ctx, false) }()
		for queued := 0; queued == 0; {
			s.mu.Lock()
			queued = len(s.cells)
			s.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
		s.handOn()
		select {
		case <-cell:
			t.Fatal("the stage's slot went to a cell while a reader expected it")
		case <-time.After(20 * time.Millisecond):
		}
		if reads {
			readerGetsSlot(t, s, "the reader did not get the slot kept for it")
			withdraw()
			select {
			case <-cell:
				t.Fatal("a cell got a slot while the reader held the only one")
			case <-time.After(20 * time.Millisecond):
			}
			s.release() // the reader's training ends
		} else {
			withdraw() // a stored reader: no training
			withdraw() // twice is once
		}
		select {
		case err := <-cell:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the cell never got the slot")
		}
		s.release()
		if s.held != 0 || s.parked != 0 || s.expected != 0 {
			t.Fatalf("after every release: held %d, parked %d, expected %d", s.held, s.parked, s.expected)
		}
	}
}

// TestComputeSlotsYield: of two cells that held their slots through the
// stage, one yields its slot to the reader that expects one; the other
// keeps its own, and nothing yields once the reader has its slot.
func TestComputeSlotsYield(t *testing.T) {
	ctx := context.Background()
	s := newComputeSlots(2)
	for range 2 {
		if err := s.acquire(ctx, false); err != nil {
			t.Fatal(err)
		}
	}
	withdraw := s.expect()
	if !s.yield() {
		t.Fatal("the first cell did not yield to the reader")
	}
	if s.yield() {
		t.Fatal("the second cell yielded too: one slot was kept for the reader already")
	}
	readerGetsSlot(t, s, "the reader did not get the yielded slot")
	withdraw()
	if s.yield() {
		t.Fatal("a cell yielded with no reader expecting a slot")
	}
	if s.held != 2 || s.parked != 0 {
		t.Fatalf("held %d, parked %d; want 2 held (the reader and the second cell), none parked", s.held, s.parked)
	}
}

// readerGetsSlot asks for a slot as a reader and fails with failure
// unless it gets one within 5 s.
func readerGetsSlot(t *testing.T, s *computeSlots, failure string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.acquire(context.Background(), true) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal(failure)
	}
}
