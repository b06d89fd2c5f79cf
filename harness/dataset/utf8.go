package dataset

import (
	"fmt"
	"io"
	"unicode/utf8"
)

// utf8Reader passes a file's bytes through and fails at the first byte that
// is not valid UTF-8, naming the file and the byte's offset: decoders would
// otherwise turn such bytes into U+FFFD and score the damaged text (a file
// in Latin-1, say).
type utf8Reader struct {
	r    io.ReadCloser
	name string
	off  int64  // offset of the first byte not yet checked
	tail []byte // an incomplete sequence at the end of the last read
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	buf := append(u.tail, p[:n]...)
	i := 0
	for i < len(buf) {
		if buf[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(buf[i:]) && err == nil {
			break // the rest of the sequence comes with the next read
		}
		r, size := utf8.DecodeRune(buf[i:])
		if r == utf8.RuneError && size <= 1 {
			return n, fmt.Errorf("%s: invalid UTF-8 at byte %d (the file must be UTF-8)", u.name, u.off+int64(i))
		}
		i += size
	}
	u.off += int64(i)
	u.tail = append(u.tail[:0], buf[i:]...)
	return n, err
}

func (u *utf8Reader) Close() error { return u.r.Close() }
