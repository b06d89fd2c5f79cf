// Package console shows a run's progress on a terminal: log lines scroll
// as usual, and below them one live line says what every running task is
// doing. The live line is cut to the terminal's width, so it never wraps
// and each update redraws it in place; a log line clears it, prints, and
// draws it again.
package console

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// Console is a log writer with a live status line. It is safe for
// concurrent use.
type Console struct {
	mu    sync.Mutex
	w     io.Writer
	width func() int
	live  map[string]string
	order []string
	shown bool
	drawn time.Time
	// partial holds a log line written without its newline yet.
	partial []byte
}

// New returns a Console on w when w is a terminal, and nil otherwise (the
// caller then logs plain lines).
func New(w io.Writer) *Console {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return newConsole(w, func() int {
		if wd, _, err := term.GetSize(int(f.Fd())); err == nil && wd > 0 {
			return wd
		}
		return 80
	})
}

func newConsole(w io.Writer, width func() int) *Console {
	return &Console{w: w, width: width, live: map[string]string{}}
}

// Write prints log lines above the live line.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	i := bytes.LastIndexByte(c.partial, '\n')
	if i < 0 {
		return len(p), nil
	}
	lines := c.partial[:i+1]
	c.clear()
	_, err := c.w.Write(lines)
	c.partial = append(c.partial[:0], c.partial[i+1:]...)
	c.draw()
	return len(p), err
}

// Live sets what task is doing, shown on the live line in the order tasks
// first appeared; "" removes the task.
func (c *Console) Live(task, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, known := c.live[task]
	if text == "" {
		delete(c.live, task)
		c.order = slices.DeleteFunc(c.order, func(t string) bool { return t == task })
	} else {
		if !known {
			c.order = append(c.order, task)
		}
		c.live[task] = text
	}
	// A task's new text is drawn at most ten times a second (training
	// reports every step); a task that comes or goes at once.
	if known && text != "" && time.Since(c.drawn) < 100*time.Millisecond {
		return
	}
	c.clear()
	c.draw()
}

// Close clears the live line.
func (c *Console) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clear()
}

// clear erases the live line, if shown (the cursor stays at its start).
func (c *Console) clear() {
	if c.shown {
		io.WriteString(c.w, "\r\x1b[K")
		c.shown = false
	}
}

// draw writes the live line, cut to one column less than the terminal's
// width (a line that fills the last column would wrap on some terminals).
func (c *Console) draw() {
	if len(c.order) == 0 {
		return
	}
	parts := make([]string, len(c.order))
	for i, t := range c.order {
		parts[i] = t + ": " + c.live[t]
	}
	io.WriteString(c.w, Cut(strings.Join(parts, " · "), c.width()-1))
	c.shown, c.drawn = true, time.Now()
}

// Cut shortens s to at most width runes, ending in "…" when cut; control
// characters become spaces, so the line stays one line.
func Cut(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if width < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}
