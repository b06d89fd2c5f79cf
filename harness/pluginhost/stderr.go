package pluginhost

import (
	"bytes"
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
}

func (r *stderrRelay) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, p...)
	for {
		i := bytes.IndexByte(r.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := bytes.TrimRight(r.buf[:i], "\r")
		r.buf = r.buf[i+1:]
		if len(line) > 0 && line[0] != '{' {
			r.log.Warn(string(line))
		}
	}
}
