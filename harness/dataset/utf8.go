package dataset

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// utf8Reader passes a file's bytes through and fails at the first byte that
// is not valid UTF-8, naming the file and the byte's offset: decoders would
// otherwise turn such bytes into U+FFFD and score the damaged text (a file
// in Latin-1, say). Bytes are checked where they are read; only a sequence
// a read cuts in two is carried over to the next.
//
// The error is sticky and comes without the read's bytes: a JSON decoder
// scans the bytes a read returned before it looks at the read's error,
// and drops that error once it has what it wanted, so a small file in
// Latin-1 was decoded in full and the error lost.
type utf8Reader struct {
	r    io.ReadCloser
	name string
	off  int64  // offset of the first byte not yet checked (tail's first)
	tail []byte // an incomplete sequence at the end of the last read
	err  error  // the invalid byte found, returned by every later read
}

func (u *utf8Reader) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	n, err := u.read(p)
	if u.err != nil {
		return 0, u.err
	}
	return n, err
}

func (u *utf8Reader) read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	b := p[:n]
	base := u.off + int64(len(u.tail)) // the offset of b[0]
	i := 0
	if len(u.tail) > 0 {
		// Finish the sequence the last read cut.
		joined := append(u.tail, b[:min(n, utf8.UTFMax)]...)
		if !utf8.FullRune(joined) {
			if err == nil {
				u.tail = joined // b was all of it, and it is still short
				return n, nil
			}
			return n, u.invalid(u.off)
		}
		r, size := utf8.DecodeRune(joined)
		if r == utf8.RuneError && size <= 1 {
			return n, u.invalid(u.off)
		}
		i = size - len(u.tail) // the sequence's bytes in b
	}
	for i < n {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) && err == nil {
			break // the rest of the sequence comes with the next read
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return n, u.invalid(base + int64(i))
		}
		i += size
	}
	u.off = base + int64(i)
	u.tail = append(u.tail[:0], b[i:]...)
	return n, err
}

func (u *utf8Reader) invalid(at int64) error {
	u.err = &InvalidUTF8{File: u.name, Offset: at}
	return u.err
}

// InvalidUTF8 is the error of a file that is not UTF-8, naming the file
// and the byte.
type InvalidUTF8 struct {
	File   string
	Offset int64
}

func (e *InvalidUTF8) Error() string {
	return fmt.Sprintf("%s: invalid UTF-8 at byte %d (the file must be UTF-8)", e.File, e.Offset)
}

// NamesFile reports whether err already names file (its reader's
// InvalidUTF8), so that a caller adding the file's name does not add it
// twice.
func NamesFile(err error, file string) bool {
	var u *InvalidUTF8
	return errors.As(err, &u) && u.File == file
}

func (u *utf8Reader) Close() error { return u.r.Close() }
