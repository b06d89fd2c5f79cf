package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/spec"
	"github.com/xlbench/xlbench/plugins"
)

// countingReader answers a query with its candidate's first word (score:
// the word's length), counting how often each (question, candidate) is
// asked; calls stay open until gate is closed, so that tests can hold
// several at once. failFirst makes the first call fail.
type countingReader struct {
	gatedReader
	gate      chan struct{}
	mu        sync.Mutex
	asked     map[string]int
	calls     int
	inCall    int
	maxInCall int
	failFirst bool
}

func (c *countingReader) Read(ctx context.Context, req plugins.ReadRequest) ([]plugins.Answer, error) {
	c.mu.Lock()
	c.calls++
	call := c.calls
	c.inCall++
	c.maxInCall = max(c.maxInCall, c.inCall)
	for _, q := range req.Queries {
		c.asked[q.Question+"|"+q.Candidates[0].Text]++
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inCall--
		c.mu.Unlock()
	}()
	select {
	case <-c.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c.failFirst && call == 1 {
		return nil, errors.New("the first call fails")
	}
	out := make([]plugins.Answer, len(req.Queries))
	for i, q := range req.Queries {
		w := strings.Fields(q.Candidates[0].Text)[0]
		out[i] = plugins.Answer{Text: w, Score: float64(len(w))}
	}
	return out, nil
}

func readingFixture() (*dataset.Collection, []*dataset.Question, [][]int) {
	c := &dataset.Collection{}
	for i := range 6 {
		c.Candidates = append(c.Candidates, dataset.Candidate{Text: fmt.Sprintf("%s candidate", strings.Repeat("w", i+1)), Lang: "en"})
	}
	var qs []*dataset.Question
	var cands [][]int
	for i := range 4 {
		qs = append(qs, &dataset.Question{ID: fmt.Sprint(i), Text: fmt.Sprintf("question %d", i), Lang: "en"})
		cands = append(cands, []int{i, i + 1, i + 2})
	}
	return c, qs, cands
}

// TestConcurrentReads: cells read at once (two calls are with the plugin
// together), a pair is asked for once however many cells want it, and
// every cell gets the answers one cell alone gets.
func TestConcurrentReads(t *testing.T) {
	c, qs, cands := readingFixture()
	rd := &countingReader{gate: make(chan struct{}), asked: map[string]int{}}
	tr := &trainedReader{comp: &spec.Component{Name: "span"}, r: rd, memo: map[readKey]plugins.Answer{}}
	ctx := context.Background()
	type got struct {
		a   []plugins.Answer
		err error
	}
	results := make(chan got, 3)
	read := func(qs []*dataset.Question, cands [][]int) {
		a, err := tr.Read(ctx, c, qs, cands)
		results <- got{a, err}
	}
	go read(qs[:2], cands[:2]) // questions 0 1
	go read(qs[2:], cands[2:]) // questions 2 3: disjoint, so also with the plugin
	waitFor(t, func() bool { rd.mu.Lock(); defer rd.mu.Unlock(); return rd.inCall == 2 })
	go read(qs, cands) // everything: waits for both
	time.Sleep(20 * time.Millisecond)
	close(rd.gate)
	var all []plugins.Answer
	for range 3 {
		g := <-results
		if g.err != nil {
			t.Fatal(g.err)
		}
		if len(g.a) == 4 {
			all = g.a
		}
	}
	if rd.maxInCall < 2 {
		t.Fatalf("at most %d calls with the plugin at once, want 2", rd.maxInCall)
	}
	for k, n := range rd.asked {
		if n != 1 {
			t.Errorf("%s asked %d times", k, n)
		}
	}
	if len(rd.asked) != 12 {
		t.Errorf("%d pairs asked, want 12", len(rd.asked))
	}
	alone := &trainedReader{comp: &spec.Component{Name: "span"}, r: &countingReader{gate: closedGate(), asked: map[string]int{}}, memo: map[readKey]plugins.Answer{}}
	want, err := alone.Read(ctx, c, qs, cands)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("read together %v, alone %v", all, want)
	}
	if want[0].Candidate != 2 || want[0].Text != "www" {
		t.Fatalf("best of question 0 is %+v, want candidate 2 (www)", want[0])
	}
}

// TestReadFailureIsReadAgain: when the call reading a pair fails, its
// cell gets the error and a cell that waited for the pair asks again.
func TestReadFailureIsReadAgain(t *testing.T) {
	c, qs, cands := readingFixture()
	rd := &countingReader{gate: make(chan struct{}), asked: map[string]int{}, failFirst: true}
	tr := &trainedReader{comp: &spec.Component{Name: "span"}, r: rd, memo: map[readKey]plugins.Answer{}}
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { _, err := tr.Read(ctx, c, qs, cands); first <- err }()
	waitFor(t, func() bool { rd.mu.Lock(); defer rd.mu.Unlock(); return rd.inCall == 1 })
	second := make(chan error, 1)
	var answers []plugins.Answer
	go func() {
		var err error
		answers, err = tr.Read(ctx, c, qs, cands)
		second <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(rd.gate)
	if err := <-first; err == nil || !strings.Contains(err.Error(), "reader span: the first call fails") {
		t.Fatalf("first read: %v", err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if len(answers) != 4 || answers[3].Text != "wwwwww" {
		t.Fatalf("second read: %+v", answers)
	}
}

func closedGate() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
