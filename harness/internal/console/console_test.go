package console

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// screen replays what a terminal shows of out: "\r" returns to the start
// of the line, "\x1b[K" erases to its end, "\n" starts a new line.
// wrapped reports whether a live line (text not ended by a newline before
// the next erase) reached the last column, where a terminal wraps it.
func screen(out string, width int) (lines []string, wrapped bool) {
	for _, seg := range strings.Split(out, "\r\x1b[K") {
		live := seg[strings.LastIndexByte(seg, '\n')+1:]
		if utf8.RuneCountInString(live) >= width {
			wrapped = true
		}
	}
	cur := []rune{}
	col := 0
	for i := 0; i < len(out); {
		switch {
		case strings.HasPrefix(out[i:], "\x1b[K"):
			cur = cur[:col]
			i += 3
		case out[i] == '\r':
			col = 0
			i++
		case out[i] == '\n':
			lines = append(lines, string(cur))
			cur, col = cur[:0:0], 0
			i++
		default:
			r, n := utf8.DecodeRuneInString(out[i:])
			if col < len(cur) {
				cur[col] = r
			} else {
				cur = append(cur, r)
			}
			col++
			i += n
		}
	}
	return append(lines, string(cur)), wrapped
}

// The live line stays one line as tasks come, update and go, whatever
// their length; log lines scroll above it, whole, and the live line is
// drawn again below them; a task that ends leaves the line.
func TestLiveLineStaysOneLine(t *testing.T) {
	var out strings.Builder
	c := newConsole(&out, func() int { return 40 })
	c.Live("stage/base.seed1", "training, step 100/17000, loss 0.705")
	c.Live("xquad-r-zero-shot/dual.hybrid.seed1", "reading")
	for step := range 50 {
		c.Live("stage/base.seed1", strings.Repeat("x", step))
	}
	c.Write([]byte("a log line that is longer than the terminal is wide\n"))
	c.Write([]byte("half a "))
	c.Write([]byte("line\n"))
	c.Live("stage/base.seed1", "")
	lines, wrapped := screen(out.String(), 40)
	if wrapped {
		t.Errorf("the live line wrapped:\n%q", out.String())
	}
	want := []string{"a log line that is longer than the terminal is wide", "half a line", "xquad-r-zero-shot/dual.hybrid.seed1: r…"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("screen:\n%q\nwant\n%q", lines, want)
	}
	c.Live("xquad-r-zero-shot/dual.hybrid.seed1", "")
	if lines, _ := screen(out.String(), 40); lines[len(lines)-1] != "" {
		t.Errorf("the live line is left after its last task ended: %q", lines[len(lines)-1])
	}
}

func TestCut(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{{"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"a\nb\tc", 10, "a b c"}, {"ελληνικά", 4, "ελλ…"}, {"x", 0, ""}} {
		if got := Cut(c.in, c.width); got != c.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}
