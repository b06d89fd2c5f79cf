package pluginhost

import (
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Caps on what one plugin process may log: a plugin that floods stderr
// (100 MB of lines) must not flood the run's output or its memory.
const (
	// maxLogLines is how many lines a plugin process may log; later ones
	// are counted and dropped, and the count is logged when it ends.
	maxLogLines = 5000
	// maxLogLine is the longest line logged, in bytes; the rest of a
	// longer one is cut, saying how much.
	maxLogLine = 2000
)

// logBudget counts one plugin process's log lines.
type logBudget struct {
	mu      sync.Mutex
	name    string
	lines   int
	dropped int
}

// take reports whether one more line may be logged; the first line over
// the cap is replaced by a note saying that lines are being dropped.
func (b *logBudget) take(l hclog.Logger) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lines < maxLogLines {
		b.lines++
		return true
	}
	if b.dropped == 0 {
		l.Warn(fmt.Sprintf("plugin %s has logged %d lines; its further lines are dropped (counted when it ends)", b.name, maxLogLines))
	}
	b.dropped++
	return false
}

// report logs how many lines were dropped, if any.
func (b *logBudget) report(l hclog.Logger) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped > 0 {
		l.Warn(fmt.Sprintf("plugin %s: %d log lines dropped after the first %d", b.name, b.dropped, maxLogLines))
		b.dropped = 0
	}
}

// cut shortens a line longer than maxLogLine, saying by how much.
func cut(s string) string {
	if len(s) <= maxLogLine {
		return s
	}
	return fmt.Sprintf("%s… (%d more bytes cut)", s[:maxLogLine], len(s)-maxLogLine)
}

// cappedLogger is the logger a plugin's lines go through (go-plugin's
// relay of its structured lines, and stderrRelay's of raw ones): every
// message and every logger derived from it share one logBudget.
type cappedLogger struct {
	hclog.Logger
	budget *logBudget
}

func newCappedLogger(l hclog.Logger, name string) *cappedLogger {
	return &cappedLogger{Logger: l, budget: &logBudget{name: name}}
}

func (c *cappedLogger) wrap(l hclog.Logger) hclog.Logger {
	return &cappedLogger{Logger: l, budget: c.budget}
}

func (c *cappedLogger) Log(level hclog.Level, msg string, args ...any) {
	if c.budget.take(c.Logger) {
		c.Logger.Log(level, cut(msg), args...)
	}
}
func (c *cappedLogger) Trace(msg string, args ...any) { c.Log(hclog.Trace, msg, args...) }
func (c *cappedLogger) Debug(msg string, args ...any) { c.Log(hclog.Debug, msg, args...) }
func (c *cappedLogger) Info(msg string, args ...any)  { c.Log(hclog.Info, msg, args...) }
func (c *cappedLogger) Warn(msg string, args ...any)  { c.Log(hclog.Warn, msg, args...) }
func (c *cappedLogger) Error(msg string, args ...any) { c.Log(hclog.Error, msg, args...) }

func (c *cappedLogger) Named(name string) hclog.Logger      { return c.wrap(c.Logger.Named(name)) }
func (c *cappedLogger) ResetNamed(name string) hclog.Logger { return c.wrap(c.Logger.ResetNamed(name)) }
func (c *cappedLogger) With(args ...any) hclog.Logger       { return c.wrap(c.Logger.With(args...)) }
