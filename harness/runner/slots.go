package runner

import (
	"context"
	"slices"
	"sync"
)

// computeSlots bounds how many things compute at once (-j): cells, and a
// reader while it trains. Waiters are served in arrival order, except that
// a waiter asking first (a reader, which every reading cell waits for)
// goes before every cell, and a stage that ends keeps its slot for a
// reader that waits for it (expect, handOn).
type computeSlots struct {
	mu    sync.Mutex
	n     int
	held  int
	cells []chan struct{} // waiting cells, in arrival order
	first []chan struct{} // waiting readers, in arrival order
	// expected counts readers waiting for their stage, which will ask
	// first once it is done; parked counts slots (held) that ended stages
	// keep for them.
	expected, parked int
}

func newComputeSlots(n int) *computeSlots { return &computeSlots{n: max(1, n)} }

// acquire waits for a slot; first puts the caller before every waiting
// cell. On ctx's end it returns ctx's error holding no slot.
func (s *computeSlots) acquire(ctx context.Context, first bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if first && s.parked > 0 {
		s.parked-- // a stage's slot, kept for this reader
		s.mu.Unlock()
		return nil
	}
	if s.held < s.n && len(s.first) == 0 && (first || len(s.cells) == 0) {
		s.held++
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	queue := &s.cells
	if first {
		queue = &s.first
	}
	*queue = append(*queue, ch)
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		if i := slices.Index(*queue, ch); i >= 0 {
			*queue = slices.Delete(*queue, i, i+1)
			s.mu.Unlock()
			return ctx.Err()
		}
		// Handed a slot as ctx ended: give it on.
		s.mu.Unlock()
		s.release()
		return ctx.Err()
	}
}

// release gives a slot back, to the first waiting reader, else the first
// waiting cell. It never blocks, and a release with no slot held (a cell
// whose slot could not be taken back after the run was interrupted) is
// nothing.
func (s *computeSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releaseLocked()
}

func (s *computeSlots) releaseLocked() {
	if s.held == 0 {
		return
	}
	for _, queue := range []*[]chan struct{}{&s.first, &s.cells} {
		if len(*queue) > 0 {
			close((*queue)[0])
			*queue = (*queue)[1:]
			return // the slot passes on, still held
		}
	}
	s.held--
}

// expect says that a reader waits for a stage and will ask first for a
// slot once it is done: the slot the stage's cell gives back (handOn) is
// kept for it. Without that, the stage's slot went to the next cell, and
// the reader, which every reading cell waits for, to the slot after it (a
// whole cell's training later). The returned function withdraws the
// expectation once the reader holds its slot, or will not ask (a stored
// reader, an error); calling it again does nothing.
func (s *computeSlots) expect() (withdraw func()) {
	s.mu.Lock()
	s.expected++
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.expected--
			if s.parked > s.expected {
				s.parked-- // kept for nobody now
				s.releaseLocked()
			}
		})
	}
}

// handOn gives a stage's slot back: to a reader that waits or expects one
// (as yield), else as release.
func (s *computeSlots) handOn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.yieldLocked() {
		s.releaseLocked()
	}
}

// yield gives the caller's slot to a reader: one waiting, else one that
// expects a slot kept for it and has none yet. It reports whether it did;
// the caller then asks for a slot again, as a cell. A cell that ran its
// stage (or waited for it holding its slot) yields, so that the reader
// the stage held up trains before that cell goes on.
func (s *computeSlots) yield() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.yieldLocked()
}

func (s *computeSlots) yieldLocked() bool {
	if s.held == 0 {
		return false
	}
	if len(s.first) > 0 {
		close(s.first[0])
		s.first = s.first[1:]
		return true
	}
	if s.parked < s.expected {
		s.parked++
		return true
	}
	return false
}
