package spec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// MaxSpecBytes bounds a spec or lock file (the default spec is under
// 10 kB): a larger one is refused before it is parsed.
const MaxSpecBytes = 1 << 20

// MaxNesting bounds how deeply brackets, braces, parentheses and template
// directives nest in a spec. HCL's parser recurses once per level, and
// 100,000 nested parentheses overflow its stack: the process dies, with
// no diagnostic. No spec needs more than a few levels.
const MaxNesting = 64

// parseBounded reads and parses one HCL file within the bounds above, and
// refuses template for-directives: a spec's strings are names and paths,
// and a few hundred bytes of nested loops expand to gigabytes when
// evaluated.
func parseBounded(p *hclparse.Parser, filename string, regularOnly bool) (*hcl.File, hcl.Diagnostics) {
	src, diags := readSource(filename, regularOnly)
	if diags.HasErrors() {
		return nil, diags
	}
	f, diags := p.ParseHCL(src, filename)
	if diags.HasErrors() || f == nil {
		return f, diags
	}
	if body, ok := f.Body.(*hclsyntax.Body); ok {
		reported := false
		hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			if _, loop := n.(*hclsyntax.TemplateJoinExpr); loop && !reported {
				reported = true // the outermost loop; nested ones are inside it
				r := n.Range()
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Template loops are not allowed",
					Detail: "A %{for} directive can expand a few bytes into gigabytes; write the value out.", Subject: &r})
			}
			return nil
		})
	}
	return f, diags
}

// ReadSource reads a spec file for parsing: at most MaxSpecBytes, nested
// no deeper than MaxNesting. A spec may be a pipe (`xlbench validate
// <(…)`): a pipe that never delivers blocks the read until SIGINT or
// SIGTERM ends the command; a link to /dev/zero stops at the limit.
func ReadSource(filename string) ([]byte, hcl.Diagnostics) {
	return readSource(filename, false)
}

// readSource is ReadSource; regularOnly refuses anything but a regular
// file (a lock file, which only xlbench writes).
func readSource(filename string, regularOnly bool) ([]byte, hcl.Diagnostics) {
	fail := func(err error) hcl.Diagnostics {
		summary := "Unreadable file"
		if errors.Is(err, fs.ErrNotExist) {
			summary = "Missing file"
		}
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: err.Error(),
			Subject: &hcl.Range{Filename: filename, Start: hcl.InitialPos, End: hcl.InitialPos}}}
	}
	var src []byte
	var err error
	if regularOnly {
		src, err = safepath.ReadRegular(filename, MaxSpecBytes)
	} else {
		src, err = readLimited(filename)
	}
	if err != nil {
		return nil, fail(err)
	}
	if d := checkNesting(src, filename); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	return src, nil
}

func readLimited(filename string) ([]byte, error) {
	f, err := os.Open(filename)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxSpecBytes+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxSpecBytes {
		return nil, fmt.Errorf("%s holds more than %d bytes, the limit for a spec", filename, MaxSpecBytes)
	}
	return src, nil
}

// checkNesting finds the first place where brackets, braces, parentheses
// or template directives nest deeper than MaxNesting. It counts every
// opening and closing character, in strings and comments too, so it may
// count deeper than the parser would, never shallower.
func checkNesting(src []byte, filename string) *hcl.Diagnostic {
	depth, line, col := 0, 1, 1
	for i, b := range src {
		switch b {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth = max(depth-1, 0)
		}
		if depth > MaxNesting {
			pos := hcl.Pos{Line: line, Column: col, Byte: i}
			return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Nesting too deep",
				Detail:  fmt.Sprintf("Brackets, braces and parentheses nest more than %d deep here.", MaxNesting),
				Subject: &hcl.Range{Filename: filename, Start: pos, End: hcl.Pos{Line: line, Column: col + 1, Byte: i + 1}}}
		}
		if b == '\n' {
			line, col = line+1, 1
		} else if b&0xC0 != 0x80 { // a column per character, not per byte
			col++
		}
	}
	return nil
}
