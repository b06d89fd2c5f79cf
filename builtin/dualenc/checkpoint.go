package dualenc

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/xlbench/xlbench/builtin/internal/hugemem"
	"github.com/xlbench/xlbench/plugins"
)

// Checkpoint file: the magic line, a little-endian uint32 length and that
// many bytes of JSON header, then the embedding table and the projection as
// little-endian float32s, row-major, then the document frequency of every
// bucket as little-endian uint32s.
const checkpointMagic = "xlbench-gorgonia-checkpoint v1\n"

type checkpointHeader struct {
	Version string    `json:"version"`
	Dim     int       `json:"dim"`
	Buckets int       `json:"buckets"`
	NGrams  []float64 `json:"ngrams"`
	Steps   int       `json:"steps"`
	IDF     bool      `json:"idf"`
	Docs    int       `json:"docs"`
	// LexicalWeight is λ of the lexical half; 0 for a dense-only model.
	LexicalWeight float64 `json:"lexical_weight,omitempty"`
	// Hidden is the feed-forward block's width; 0 (absent) for none. Its
	// W1 and W2 follow the projection.
	Hidden int `json:"hidden,omitempty"`
}

// Save writes the model (not the optimiser state) to path atomically.
func (e *Encoder) Save(_ context.Context, req plugins.SaveRequest) error {
	path := req.Path
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.emb == nil {
		return fmt.Errorf("Save called before Configure")
	}
	if e.gpu != nil {
		if err := e.gpu.download(e); err != nil {
			return fmt.Errorf("%s: copying the model back: %w", e.gpu.dev.Name(), err)
		}
	}
	hdr, _ := json.Marshal(checkpointHeader{Version: Version, Dim: e.dim, Buckets: int(e.feat.buckets),
		NGrams: e.params.Floats("ngrams"), Steps: e.step, IDF: e.idf, Docs: e.ndocs, LexicalWeight: float64(e.lexicalWeight()), Hidden: e.hidden})
	tmp, err := os.CreateTemp(filepath.Dir(path), ".checkpoint-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	w.WriteString(checkpointMagic)
	binary.Write(w, binary.LittleEndian, uint32(len(hdr)))
	w.Write(hdr)
	buf := make([]byte, 4)
	for _, part := range [][]float32{e.emb, e.w, e.w1, e.w2} {
		for _, f := range part {
			binary.LittleEndian.PutUint32(buf, math.Float32bits(f))
			w.Write(buf)
		}
	}
	for _, n := range e.df {
		binary.LittleEndian.PutUint32(buf, n)
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// load reads a checkpoint written by Save; its shape must match the
// configured parameters.
func (e *Encoder) load(path string) error {
	c, err := readCheckpoint(path)
	if err != nil {
		return err
	}
	h := c.header
	if h.Dim != e.dim || h.Buckets != int(e.feat.buckets) || !slices.Equal(h.NGrams, e.params.Floats("ngrams")) {
		return fmt.Errorf("checkpoint %s holds dim %d, buckets %d, ngrams %v; the parameters ask for dim %d, buckets %d, ngrams %v",
			path, h.Dim, h.Buckets, h.NGrams, e.dim, e.feat.buckets, e.params.Floats("ngrams"))
	}
	if (h.LexicalWeight > 0) != (e.lex != nil) {
		return fmt.Errorf("checkpoint %s has lexical weight %g; the parameters ask for %g (a lexical half must be on in both or off in both)",
			path, h.LexicalWeight, e.params.Float("lexical_weight"))
	}
	if h.Hidden != e.hidden {
		return fmt.Errorf("checkpoint %s has a feed-forward block of width %d; the parameters ask for hidden = %d", path, h.Hidden, e.hidden)
	}
	if e.lex != nil {
		e.theta = []float32{float32(math.Log(h.LexicalWeight))}
	}
	e.emb, e.w, e.w1, e.w2, e.df = c.emb, c.w, c.w1, c.w2, c.df
	e.idf, e.ndocs = h.IDF, h.Docs
	e.resetOptimizer()
	return nil
}

// checkpoint is a checkpoint file's contents.
type checkpoint struct {
	header         checkpointHeader
	emb, w, w1, w2 []float32
	df             []uint32
}

// readCheckpoint reads a checkpoint written by Save, whatever its shape.
func readCheckpoint(path string) (*checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != checkpointMagic {
		return nil, fmt.Errorf("checkpoint %s: not a gorgonia encoder checkpoint", path)
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 1<<20 {
		return nil, fmt.Errorf("checkpoint %s: bad header", path)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	c := &checkpoint{}
	h := &c.header
	if err := json.Unmarshal(raw, h); err != nil {
		return nil, fmt.Errorf("checkpoint %s: header: %w", path, err)
	}
	// Bounds before allocating: a header may claim anything.
	if h.Dim <= 0 || h.Dim > 1<<12 || h.Buckets <= 0 || h.Buckets > 1<<24 || h.Hidden < 0 || h.Hidden > 1<<14 {
		return nil, fmt.Errorf("checkpoint %s: header gives dim %d, buckets %d, hidden %d, out of range", path, h.Dim, h.Buckets, h.Hidden)
	}
	c.emb = hugemem.Floats(h.Buckets * h.Dim)
	c.w = make([]float32, h.Dim*h.Dim)
	c.w1, c.w2 = make([]float32, h.Dim*h.Hidden), make([]float32, h.Hidden*h.Dim)
	buf := make([]byte, 4)
	for _, part := range [][]float32{c.emb, c.w, c.w1, c.w2} {
		for i := range part {
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil, fmt.Errorf("checkpoint %s: truncated: %w", path, err)
			}
			part[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf))
		}
	}
	c.df = make([]uint32, h.Buckets)
	for i := range c.df {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("checkpoint %s: truncated: %w", path, err)
		}
		c.df[i] = binary.LittleEndian.Uint32(buf)
	}
	return c, nil
}

// FeatureRows reads a checkpoint written by Save and returns what each
// hashed feature means to the model: its embedding row times the
// projection, the part of a text's vector that is linear in its features
// (buckets × dim, row-major; the feed-forward block, if any, is left out).
// Row i belongs to the feature whose hash falls in bucket i: the word
// ('w' + word) or character n-gram ('c' + n-gram of "<word>") hashed with
// 64-bit FNV-1a modulo buckets, words NFKC-normalised and case-folded.
func FeatureRows(path string) (rows []float32, buckets, dim int, err error) {
	c, err := readCheckpoint(path)
	if err != nil {
		return nil, 0, 0, err
	}
	d, nb := c.header.Dim, c.header.Buckets
	rows = make([]float32, nb*d)
	for b := 0; b < nb; b++ {
		e, out := c.emb[b*d:(b+1)*d], rows[b*d:(b+1)*d]
		for k, x := range e {
			if x == 0 {
				continue
			}
			w := c.w[k*d : (k+1)*d]
			for j, v := range w {
				out[j] += x * v
			}
		}
	}
	return rows, nb, d, nil
}
