package pluginhost

import (
	"bytes"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// stderrRelay receives every line a plugin writes to stderr (and, as
// SyncStdout and SyncStderr, what its code prints). go-plugin
// already re-logs the structured (JSON) lines of plugins built on package
// plugins at their own level, but logs raw lines — a panic's stack trace, a
// stray print — only at debug. The relay logs those raw lines at warn under
// the plugin's name, so a crashing plugin's last words reach the user.
type stderrRelay struct {
	log hclog.Logger
	mu  sync.Mutex
	buf []byte
	// tail keeps the last raw lines, for the error of a plugin that exits
	// before its handshake (a Python plugin that cannot import its SDK):
	// the cause is in them, not in go-plugin's message.
	tail []string
	// skipping drops the rest of a line logged cut.
	skipping bool
}

// tailLines and tailWidth bound what an error quotes of a plugin's stderr.
const (
	tailLines = 8
	tailWidth = 300
)

// Tail returns the last raw lines written, indented, or "".
func (r *stderrRelay) Tail() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := r.tail
	if len(r.buf) > 0 {
		lines = append(slices.Clone(lines), string(r.buf))
	}
	if len(lines) == 0 {
		return ""
	}
	return "    " + strings.Join(lines, "\n    ")
}

func (r *stderrRelay) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	for {
		i := bytes.IndexByte(r.buf, '\n')
		if i < 0 {
			// A line without end yet: what is held stays bounded. A line
			// longer than maxLogLine is logged cut, the rest of it dropped.
			if !r.skipping && len(r.buf) > maxLogLine {
				// Within maxLogLine with its mark, so the logger cuts nothing more.
				const mark = "… (line cut)"
				r.emit(string(r.buf[:maxLogLine-len(mark)]) + mark)
				r.skipping = true
			}
			if r.skipping {
				r.buf = r.buf[:0]
			}
			return len(p), nil
		}
		line := bytes.TrimRight(r.buf[:i], "\r")
		r.buf = r.buf[i+1:]
		if r.skipping {
			r.skipping = false // the end of a line already logged cut
			continue
		}
		if len(line) > 0 && line[0] != '{' {
			r.emit(string(line))
		}
	}
}

// emit logs one raw line at warn and keeps it in the tail.
func (r *stderrRelay) emit(l string) {
	r.log.Warn(l)
	if len(l) > tailWidth {
		l = l[:tailWidth] + "…"
	}
	r.tail = append(r.tail, l)
	if len(r.tail) > tailLines {
		r.tail = r.tail[1:]
	}
}
