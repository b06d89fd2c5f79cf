package safepath

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// OpenRegular opens name for reading only if it is a regular file (after
// following links): a FIFO, a device such as /dev/zero or a directory
// would block a read or never end it. The open itself does not block on a
// FIFO (O_NONBLOCK, which changes nothing for a regular file).
func OpenRegular(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s)", name, kind(st.Mode()))
	}
	return f, nil
}

// ReadRegular reads a regular file (OpenRegular) of at most max bytes; a
// larger one is an error naming it and the limit.
func ReadRegular(name string, max int64) ([]byte, error) {
	f, err := OpenRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(LimitReader(f, max, func() error {
		return fmt.Errorf("%s holds more than %d bytes, the limit for this file", name, max)
	}))
	if err != nil {
		return nil, err
	}
	return b, nil
}

// LimitReader reads at most max bytes of r; a read past them fails with
// tooBig's error (a source of exactly max bytes ends as usual), so that a
// file that never ends or a decompression bomb stops at the limit.
func LimitReader(r io.Reader, max int64, tooBig func() error) io.Reader {
	return &limitReader{r: r, left: max, tooBig: tooBig}
}

type limitReader struct {
	r      io.Reader
	left   int64
	tooBig func() error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a source of exactly the limit from a longer one.
		var one [1]byte
		if n, err := io.ReadFull(l.r, one[:]); n == 0 {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF
			}
			return 0, err
		}
		return 0, l.tooBig()
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "type " + m.Type().String()
}
