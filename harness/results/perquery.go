package results

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
)

// The per-query record, compact enough to commit beside every reference
// result (about 0.5 MB a cell of the default experiment, against 3.9 MB
// as keyed JSON): what the tests and intervals need — each query's
// average precision per setting and pool, and its EM and F1 — with every
// value's bits kept. A gzip stream holding
//
//	perQueryMagic
//	one line of JSON: the header (perQueryHeader)
//	per section, in header order: unless the section is a grid (every
//	  one of its pools with every question of its dataset, keys then
//	  implied in pool-major order), Count keys, each two uvarints (pool
//	  index, question index into its dataset's lists); then Count values,
//	  each a uvarint x: 0 is the value 0, x ≥ 2 is 1/(x−1) exactly, and
//	  1 is followed by the value's float64 bits, little-endian
//
// A key "<pool>:<question id>" is stored as two indices because the same
// pools and question ids recur in every setting and every cell; a value
// as a reciprocal because a query with one relevant candidate has average
// precision 1/rank (and EM is 0 or 1), which only those float64s that are
// exactly 1/n take that way.
const perQueryMagic = "xlbench per-query 2\n"

type perQueryHeader struct {
	// Datasets: per dataset, its pools and question ids, sorted.
	Datasets map[string]perQueryNames `json:"datasets"`
	Sections []perQuerySection        `json:"sections"`
}

type perQueryNames struct {
	Pools     []string `json:"pools"`
	Questions []string `json:"questions"`
}

type perQuerySection struct {
	Dataset string `json:"dataset"`
	Setting string `json:"setting"`
	Count   int    `json:"count"`
	// Grid: the keys are every pool in Pools (indices into the dataset's)
	// with every question of the dataset, pool-major, and are not stored.
	Grid  bool  `json:"grid,omitempty"`
	Pools []int `json:"pools,omitempty"`
}

// encodePerQuery writes perQuery in the compact format (uncompressed: the
// caller gzips), sections and keys in sorted order, so the same values
// give the same bytes.
func encodePerQuery(w io.Writer, perQuery map[string]map[string]map[string]float64) error {
	h := perQueryHeader{Datasets: map[string]perQueryNames{}}
	type keyed struct {
		pool, q int
		v       float64
	}
	var bodies [][]keyed
	for _, ds := range slices.Sorted(maps.Keys(perQuery)) {
		pools, qs := map[string]bool{}, map[string]bool{}
		for _, vals := range perQuery[ds] {
			for k := range vals {
				p, q, ok := strings.Cut(k, ":")
				if !ok {
					return fmt.Errorf("per-query key %q of %s has no pool", k, ds)
				}
				pools[p], qs[q] = true, true
			}
		}
		names := perQueryNames{Pools: slices.Sorted(maps.Keys(pools)), Questions: slices.Sorted(maps.Keys(qs))}
		h.Datasets[ds] = names
		for _, setting := range slices.Sorted(maps.Keys(perQuery[ds])) {
			vals := perQuery[ds][setting]
			body := make([]keyed, 0, len(vals))
			inPools := map[int]bool{}
			for k, v := range vals {
				p, q, _ := strings.Cut(k, ":")
				pi, _ := slices.BinarySearch(names.Pools, p)
				qi, _ := slices.BinarySearch(names.Questions, q)
				body = append(body, keyed{pi, qi, v})
				inPools[pi] = true
			}
			slices.SortFunc(body, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.pool, b.pool), cmp.Compare(a.q, b.q)) })
			sec := perQuerySection{Dataset: ds, Setting: setting, Count: len(body)}
			sec.Pools = slices.Sorted(maps.Keys(inPools))
			sec.Grid = len(body) == len(sec.Pools)*len(names.Questions)
			h.Sections = append(h.Sections, sec)
			bodies = append(bodies, body)
		}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(perQueryMagic)
	head, err := json.Marshal(h)
	if err != nil {
		return err
	}
	bw.Write(head)
	bw.WriteByte('\n')
	var buf [binary.MaxVarintLen64]byte
	for i, body := range bodies {
		for _, k := range body {
			if h.Sections[i].Grid {
				break
			}
			bw.Write(buf[:binary.PutUvarint(buf[:], uint64(k.pool))])
			bw.Write(buf[:binary.PutUvarint(buf[:], uint64(k.q))])
		}
		for _, k := range body {
			putPerQueryValue(bw, k.v)
		}
	}
	return bw.Flush()
}

// decodePerQuery reads what encodePerQuery wrote; the first bytes after
// the magic line decide, so a legacy keyed-JSON file is read too.
func decodePerQuery(r io.Reader) (map[string]map[string]map[string]float64, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(len(perQueryMagic))
	if err != nil || string(magic) != perQueryMagic {
		// The first format: one JSON object, keyed.
		var out map[string]map[string]map[string]float64
		if err := json.NewDecoder(br).Decode(&out); err != nil {
			return nil, err
		}
		return out, nil
	}
	br.Discard(len(perQueryMagic))
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("per-query header: %w", err)
	}
	var h perQueryHeader
	if err := json.NewDecoder(bytes.NewReader(line)).Decode(&h); err != nil {
		return nil, fmt.Errorf("per-query header: %w", err)
	}
	out := map[string]map[string]map[string]float64{}
	for _, s := range h.Sections {
		names, ok := h.Datasets[s.Dataset]
		if !ok || s.Count < 0 {
			return nil, fmt.Errorf("per-query section %s/%s: no names for its dataset", s.Dataset, s.Setting)
		}
		keys := make([]string, s.Count)
		if s.Grid {
			if s.Count != len(s.Pools)*len(names.Questions) {
				return nil, fmt.Errorf("per-query section %s/%s: %d values for a grid of %d pools and %d questions", s.Dataset, s.Setting, s.Count, len(s.Pools), len(names.Questions))
			}
			i := 0
			for _, p := range s.Pools {
				if p < 0 || p >= len(names.Pools) {
					return nil, fmt.Errorf("per-query section %s/%s: pool index out of range", s.Dataset, s.Setting)
				}
				for _, q := range names.Questions {
					keys[i] = names.Pools[p] + ":" + q
					i++
				}
			}
		}
		for i := range keys {
			if s.Grid {
				break
			}
			p, err1 := binary.ReadUvarint(br)
			q, err2 := binary.ReadUvarint(br)
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("per-query section %s/%s, key %d: %w", s.Dataset, s.Setting, i, err)
			}
			if p >= uint64(len(names.Pools)) || q >= uint64(len(names.Questions)) {
				return nil, fmt.Errorf("per-query section %s/%s, key %d: index out of range", s.Dataset, s.Setting, i)
			}
			keys[i] = names.Pools[p] + ":" + names.Questions[q]
		}
		vals := make(map[string]float64, s.Count)
		for i := range keys {
			v, err := readPerQueryValue(br)
			if err != nil {
				return nil, fmt.Errorf("per-query section %s/%s, value %d: %w", s.Dataset, s.Setting, i, err)
			}
			vals[keys[i]] = v
		}
		if out[s.Dataset] == nil {
			out[s.Dataset] = map[string]map[string]float64{}
		}
		out[s.Dataset][s.Setting] = vals
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errors.New("per-query record: bytes after its last section")
	}
	return out, nil
}

// maxReciprocal bounds the n of a value stored as 1/n: ranks and counts
// are far below it, and 1/n stays exact to test.
const maxReciprocal = 1 << 40

func putPerQueryValue(w *bufio.Writer, v float64) {
	var buf [binary.MaxVarintLen64]byte
	switch {
	case v == 0 && !math.Signbit(v):
		w.WriteByte(0)
		return
	case v > 0 && v <= 1:
		if n := math.Round(1 / v); n <= maxReciprocal && 1/n == v {
			w.Write(buf[:binary.PutUvarint(buf[:], uint64(n)+1)])
			return
		}
	}
	w.WriteByte(1)
	binary.LittleEndian.PutUint64(buf[:8], math.Float64bits(v))
	w.Write(buf[:8])
}

func readPerQueryValue(r *bufio.Reader) (float64, error) {
	x, err := binary.ReadUvarint(r)
	switch {
	case err != nil:
		return 0, err
	case x == 0:
		return 0, nil
	case x >= 2:
		return 1 / float64(x-1), nil
	}
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b[:])), nil
}
