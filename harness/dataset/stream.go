package dataset

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// decodeArticles streams a SQuAD-layout file — {"data": [article, …]} with
// any other top-level fields — decoding one article at a time into a fresh
// A and handing it to each with its index. Memory stays proportional to
// one article and what each keeps, not to the file: the limit on a data
// file bounds what is read, this bounds what is held. It returns the
// number of articles. A JSON error is a *jsonError that carries its byte
// offset in the stream, for describe.
func decodeArticles[A any](r io.Reader, each func(i int, a *A) error) (int, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return 0, err
	}
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return n, wrapJSON(err, -1)
		}
		key, _ := tok.(string)
		if key != "data" {
			if err := skipValue(dec); err != nil {
				return n, err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return n, err
		}
		for dec.More() {
			// The article's bytes first, then its fields: a type error's
			// offset is then relative to raw, which ends where the
			// decoder stands.
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return n, wrapJSON(err, -1)
			}
			a := new(A)
			if err := json.Unmarshal(raw, a); err != nil {
				return n, wrapJSON(err, dec.InputOffset()-int64(len(raw)))
			}
			if err := each(n, a); err != nil {
				return n, err
			}
			n++
		}
		if err := expectDelim(dec, ']'); err != nil {
			return n, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return n, err
	}
	// Nothing but white space may follow the object.
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return n, &jsonError{off: dec.InputOffset() - 1, err: errors.New("data after the top-level object")}
		}
		return n, wrapJSON(err, -1)
	}
	return n, nil
}

// expectDelim reads the next token, which must be the delimiter d.
func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return wrapJSON(err, -1)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		// The token just read ends where the decoder stands.
		return &jsonError{off: dec.InputOffset() - 1, err: fmt.Errorf("%v where %q belongs", describeToken(tok), string(d))}
	}
	return nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case nil:
		return "null"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// skipValue reads past one value of any shape, token by token.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return wrapJSON(err, -1)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// jsonError is a JSON error at a byte offset of a stream; a syntax error
// found while streaming has none (off −1, syntax true): describe finds it
// by scanning the file again.
type jsonError struct {
	off    int64
	err    error
	syntax bool
}

func (e *jsonError) Error() string { return e.err.Error() }
func (e *jsonError) Unwrap() error { return e.err }

// wrapJSON gives a decoding error its offset: a type error's is relative
// to the value decoded, which began at start; a syntax error's is the
// scanner's, exact for a whole document (start 0) but not for a stream
// read partly by tokens (start −1: left for describe to find). Errors of
// the reader (a limit, invalid UTF-8) pass through.
func wrapJSON(err error, start int64) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		if start < 0 {
			return &jsonError{off: -1, err: err, syntax: true}
		}
		return &jsonError{off: start + syn.Offset, err: err}
	case errors.As(err, &typ):
		if typ.Field == "" {
			err = fmt.Errorf("a JSON %s where %s belongs", typ.Value, typ.Type)
		} else {
			err = fmt.Errorf("field %s: cannot hold a JSON %s", typ.Field, typ.Value)
		}
		return &jsonError{off: start + typ.Offset, err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &jsonError{off: -1, err: errors.New("unexpected end of JSON input")}
	}
	return err
}

// describe says where a streamed file's JSON error is, "line L, column C:
// invalid JSON: …", reading the file again (reopen) up to the error's
// offset: the decoder kept no copy of what it read. Other errors are
// returned as they are.
func describe(file string, err error, reopen func() (io.ReadCloser, error)) error {
	var je *jsonError
	if !errors.As(err, &je) {
		if NamesFile(err, file) {
			return err // the reader named it
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	msg := "invalid JSON: " + strings.TrimPrefix(je.err.Error(), "json: ")
	off := je.off
	if je.syntax && reopen != nil {
		if rc, err := reopen(); err == nil {
			off = syntaxErrorAt(rc)
			rc.Close()
		}
	}
	if off < 0 || reopen == nil {
		return fmt.Errorf("%s: %s", file, msg)
	}
	rc, rerr := reopen()
	if rerr != nil {
		return fmt.Errorf("%s: %s (at byte %d)", file, msg, off)
	}
	defer rc.Close()
	line, col := position(rc, off, je.syntax)
	return fmt.Errorf("%s: line %d, column %d: %s", file, line, col, msg)
}

// syntaxErrorAt scans r token by token and returns the offset where the
// decoder stood before the first token that fails (white space and a
// separator may come before the token itself: position skips them), −1
// if none fails. Memory stays that of one token.
func syntaxErrorAt(r io.Reader) int64 {
	br := bufio.NewReader(r)
	dec := json.NewDecoder(br)
	for {
		at := dec.InputOffset()
		_, err := dec.Token()
		if err == io.EOF {
			return -1
		}
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return at
		}
		if err != nil {
			return -1
		}
	}
}

// position is the line and column (bytes, from 0 after the last newline)
// of byte offset off of r — or, with skip, of the first byte from off on
// that is not white space or a separator (',' ':').
func position(r io.Reader, off int64, skip bool) (line, col int) {
	br := bufio.NewReader(r)
	line = 1
	for i := int64(0); ; i++ {
		b, err := br.ReadByte()
		if err != nil {
			return line, col
		}
		if i >= off && !(skip && strings.IndexByte(" \t\r\n,:", b) >= 0) {
			return line, col
		}
		if b == '\n' {
			line, col = line+1, 0
		} else {
			col++
		}
	}
}
