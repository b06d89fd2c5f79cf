package results

import (
	"bufio"
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
	"sync"
	"unicode/utf8"

	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
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
// A key is stored as two indices because the same pools and question ids
// recur in every setting and every cell; a value as a reciprocal because
// a query with one relevant candidate has average precision 1/rank (and
// EM is 0 or 1), which only those float64s that are exactly 1/n take that
// way.
//
// In memory the values stay typed records of the same two indices
// (QueryValue, 16 bytes each), so what a file costs to hold is bounded by
// the values it really has; maps keyed by names are built when a table
// asks for a series, and kept.
const perQueryMagic = "xlbench per-query 2\n"

// Bounds of a per-query file, each far above a real one (the default
// experiment's cells: 531,078 values, an 86 kB header, names of at most
// 40 bytes, 121 pools). A file past one is refused, naming the bound:
// memory stays within what the bounds allow, whatever the file claims.
const (
	MaxPerQueryValues     = 1 << 22 // values in one file, all sections
	maxPerQueryHeader     = 4 << 20 // bytes of the header line
	maxPoolNameBytes      = 32      // a pool is "X" or "X-Y"
	maxQuestionNameBytes  = 255     // a question id
	maxPerQuerySections   = 1 << 10 // settings × metrics × datasets
	maxPerQueryValueBytes = 10 + 10 + 9
)

// MaxPerQueryBytes bounds a per-query file, decompressed: the header and
// the most values, each with its key, at their longest encoding.
const MaxPerQueryBytes = maxPerQueryHeader + MaxPerQueryValues*maxPerQueryValueBytes

// QueryKey names one query's value: its pool ("X" or "X-Y") and its
// question id. Its string form, "<pool>:<question>", orders the values
// in tables and tests (Compare).
type QueryKey struct{ Pool, Question string }

func (k QueryKey) String() string { return k.Pool + ":" + k.Question }

// Compare orders keys as their string forms order, without building them.
// Pool names hold no ':' (the reader refuses them), so two keys whose
// pools differ are ordered where the pools first differ, or, where one
// pool is a prefix of the other, by the ':' that ends the shorter against
// the longer's next byte.
func (k QueryKey) Compare(o QueryKey) int {
	if k.Pool == o.Pool {
		return strings.Compare(k.Question, o.Question)
	}
	n := min(len(k.Pool), len(o.Pool))
	if c := strings.Compare(k.Pool[:n], o.Pool[:n]); c != 0 {
		return c
	}
	if len(k.Pool) < len(o.Pool) {
		return cmp.Compare(':', o.Pool[n])
	}
	return cmp.Compare(k.Pool[n], ':')
}

// QueryValue is one query's value, its key as indices into its dataset's
// names (PerQuerySet).
type QueryValue struct {
	Pool, Question int32
	Value          float64
}

// Series names one metric's per-query values in one setting.
type Series struct {
	Setting Setting
	Metric  metrics.Name
}

// perQueryMetrics are the metrics stored per query: what the
// significance tests and intervals pair.
var perQueryMetrics = []metrics.Name{metrics.MAP, metrics.EM, metrics.F1}

// String is the series as the per-query file writes it: the setting alone
// for average precision, "<setting>/<metric>" for the others.
func (s Series) String() string {
	if s.Metric == metrics.MAP {
		return string(s.Setting)
	}
	return string(s.Setting) + "/" + string(s.Metric)
}

// ParseSeries reads what String wrote, refusing a setting or metric this
// xlbench does not store per query.
func ParseSeries(text string) (Series, error) {
	setting, metric, ok := strings.Cut(text, "/")
	s := Series{Setting(setting), metrics.MAP}
	if ok {
		s.Metric = metrics.Name(metric)
	}
	if !slices.Contains(Settings, s.Setting) || !slices.Contains(perQueryMetrics, s.Metric) || ok && s.Metric == metrics.MAP {
		return Series{}, fmt.Errorf("series %.40q: want <setting> or <setting>/<metric>, a setting of %v and a metric of %v", text, Settings, perQueryMetrics[1:])
	}
	return s, nil
}

// PerQuerySet holds one dataset's per-query values: the names the keys
// index, and per series the values sorted by pool, then question.
type PerQuerySet struct {
	Pools, Questions []string
	Series           map[Series][]QueryValue

	mu    sync.Mutex
	byKey map[Series]map[QueryKey]float64
}

// PerQuery is a cell's per-query values by dataset. A nil PerQuery has
// none.
type PerQuery map[string]*PerQuerySet

// Values is one series of a dataset keyed by query, nil when there is
// none. The map is built once and shared: callers must not change it.
func (p PerQuery) Values(dataset string, series Series) map[QueryKey]float64 {
	s := p[dataset]
	if s == nil || s.Series[series] == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.byKey[series]; ok {
		return m
	}
	vals := s.Series[series]
	m := make(map[QueryKey]float64, len(vals))
	for _, v := range vals {
		m[QueryKey{s.Pools[v.Pool], s.Questions[v.Question]}] = v.Value
	}
	if s.byKey == nil {
		s.byKey = map[Series]map[QueryKey]float64{}
	}
	s.byKey[series] = m
	return m
}

// Has reports whether the dataset has the series.
func (p PerQuery) Has(dataset string, series Series) bool {
	return p[dataset] != nil && len(p[dataset].Series[series]) > 0
}

// NewPerQuery builds the typed record from values keyed dataset → series
// → "<pool>:<question id>", as evaluation produces them.
func NewPerQuery(byString map[string]map[Series]map[string]float64) (PerQuery, error) {
	out := PerQuery{}
	for _, ds := range slices.Sorted(maps.Keys(byString)) {
		pools, qs := map[string]bool{}, map[string]bool{}
		for _, vals := range byString[ds] {
			for k := range vals {
				p, q, ok := strings.Cut(k, ":")
				if !ok {
					return nil, fmt.Errorf("per-query key %q of %s has no pool", k, ds)
				}
				pools[p], qs[q] = true, true
			}
		}
		set := &PerQuerySet{Pools: slices.Sorted(maps.Keys(pools)), Questions: slices.Sorted(maps.Keys(qs)), Series: map[Series][]QueryValue{}}
		for series, vals := range byString[ds] {
			body := make([]QueryValue, 0, len(vals))
			for k, v := range vals {
				p, q, _ := strings.Cut(k, ":")
				pi, _ := slices.BinarySearch(set.Pools, p)
				qi, _ := slices.BinarySearch(set.Questions, q)
				body = append(body, QueryValue{int32(pi), int32(qi), v})
			}
			slices.SortFunc(body, compareIndices)
			set.Series[series] = body
		}
		out[ds] = set
	}
	return out, nil
}

// compareSeries orders series as their written forms sort, the order
// sections are stored in.
func compareSeries(a, b Series) int { return cmp.Compare(a.String(), b.String()) }

func compareIndices(a, b QueryValue) int {
	return cmp.Or(cmp.Compare(a.Pool, b.Pool), cmp.Compare(a.Question, b.Question))
}

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

// encodePerQuery writes pq in the compact format (uncompressed: the
// caller gzips), sections and keys in sorted order, so the same values
// give the same bytes.
func encodePerQuery(w io.Writer, pq PerQuery) error {
	h := perQueryHeader{Datasets: map[string]perQueryNames{}}
	var bodies [][]QueryValue
	for _, ds := range slices.Sorted(maps.Keys(pq)) {
		set := pq[ds]
		h.Datasets[ds] = perQueryNames{Pools: set.Pools, Questions: set.Questions}
		for _, series := range slices.SortedFunc(maps.Keys(set.Series), compareSeries) {
			body := set.Series[series]
			inPools := map[int]bool{}
			for _, v := range body {
				inPools[int(v.Pool)] = true
			}
			sec := perQuerySection{Dataset: ds, Setting: series.String(), Count: len(body)}
			sec.Pools = slices.Sorted(maps.Keys(inPools))
			sec.Grid = len(body) == len(sec.Pools)*len(set.Questions)
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
			bw.Write(buf[:binary.PutUvarint(buf[:], uint64(k.Pool))])
			bw.Write(buf[:binary.PutUvarint(buf[:], uint64(k.Question))])
		}
		for _, k := range body {
			putPerQueryValue(bw, k.Value)
		}
	}
	return bw.Flush()
}

// decodePerQuery reads what encodePerQuery wrote, checking as it goes
// everything the format promises: names valid, sorted and unique, within
// their lengths; every section's dataset known and counted against
// MaxPerQueryValues before anything is kept; keys in range, unique and in
// order; every value a share in [0, 1]; nothing after the last section.
// It never allocates for what the file claims, only for what it holds.
func decodePerQuery(r io.Reader) (PerQuery, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(len(perQueryMagic))
	if err != nil || string(magic) != perQueryMagic {
		return nil, errors.New("not a per-query record of this xlbench (the keyed JSON of the first format is no longer read: rerun the cell)")
	}
	br.Discard(len(perQueryMagic))
	line, err := readLine(br, maxPerQueryHeader)
	if err != nil {
		return nil, fmt.Errorf("per-query header: %w", err)
	}
	var h perQueryHeader
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("per-query header: %w", err)
	}
	if len(h.Sections) > maxPerQuerySections {
		return nil, fmt.Errorf("per-query header: %d sections, more than the %d allowed", len(h.Sections), maxPerQuerySections)
	}
	out := PerQuery{}
	for ds, names := range h.Datasets {
		if err := checkNames(ds, "pool", names.Pools, maxPoolNameBytes); err != nil {
			return nil, err
		}
		if err := checkNames(ds, "question", names.Questions, maxQuestionNameBytes); err != nil {
			return nil, err
		}
		out[ds] = &PerQuerySet{Pools: names.Pools, Questions: names.Questions, Series: map[Series][]QueryValue{}}
	}
	total := 0
	for _, s := range h.Sections {
		where := fmt.Sprintf("per-query section %.40q/%.40q", s.Dataset, s.Setting)
		set := out[s.Dataset]
		series, serr := ParseSeries(s.Setting)
		switch {
		case set == nil:
			return nil, fmt.Errorf("%s: no names for its dataset", where)
		case serr != nil:
			return nil, fmt.Errorf("%s: %w", where, serr)
		case set.Series[series] != nil:
			return nil, fmt.Errorf("%s: the section appears twice", where)
		case s.Count < 0 || s.Count > MaxPerQueryValues-total:
			return nil, fmt.Errorf("%s: %d values, beyond the %d a per-query file may hold", where, s.Count, MaxPerQueryValues)
		}
		total += s.Count
		body := make([]QueryValue, 0, min(s.Count, 1<<16))
		if s.Grid {
			if s.Count != len(s.Pools)*len(set.Questions) {
				return nil, fmt.Errorf("%s: %d values for a grid of %d pools and %d questions", where, s.Count, len(s.Pools), len(set.Questions))
			}
			for i, p := range s.Pools {
				if p < 0 || p >= len(set.Pools) || (i > 0 && p <= s.Pools[i-1]) {
					return nil, fmt.Errorf("%s: pool indices out of range or repeated", where)
				}
			}
			for _, p := range s.Pools {
				for q := range set.Questions {
					body = append(body, QueryValue{Pool: int32(p), Question: int32(q)})
				}
			}
		} else {
			for i := range s.Count {
				p, err1 := binary.ReadUvarint(br)
				q, err2 := binary.ReadUvarint(br)
				if err := errors.Join(err1, err2); err != nil {
					return nil, fmt.Errorf("%s, key %d: %w", where, i, err)
				}
				if p >= uint64(len(set.Pools)) || q >= uint64(len(set.Questions)) {
					return nil, fmt.Errorf("%s, key %d: index out of range", where, i)
				}
				v := QueryValue{Pool: int32(p), Question: int32(q)}
				if i > 0 && compareIndices(body[i-1], v) >= 0 {
					return nil, fmt.Errorf("%s, key %d: keys repeated or out of order", where, i)
				}
				body = append(body, v)
			}
		}
		for i := range body {
			v, err := readPerQueryValue(br)
			if err != nil {
				return nil, fmt.Errorf("%s, value %d: %w", where, i, err)
			}
			// Average precision, EM and F1 are shares: anything else is no
			// measurement, and would print as +Inf or a negative score.
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("%s: the value of %s is %g, outside [0, 1]", where, QueryKey{set.Pools[body[i].Pool], set.Questions[body[i].Question]}, v)
			}
			body[i].Value = v
		}
		set.Series[series] = body
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return nil, errors.New("per-query record: bytes after its last section")
	}
	return out, nil
}

// readLine reads up to a newline, refusing a line longer than limit.
func readLine(br *bufio.Reader, limit int) (string, error) {
	var b strings.Builder
	for {
		chunk, err := br.ReadSlice('\n')
		if b.Len()+len(chunk) > limit {
			return "", fmt.Errorf("longer than %d bytes", limit)
		}
		b.Write(chunk)
		switch {
		case err == nil:
			return b.String(), nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return "", err
		}
	}
}

// checkNames refuses a dataset's names that are not valid UTF-8 within
// limit bytes, sorted and unique (the encoder writes them so; indices
// then name one query each).
func checkNames(dataset, what string, names []string, limit int) error {
	if err := ValidName(dataset); err != nil {
		return fmt.Errorf("per-query dataset: %w", err)
	}
	if len(names) > MaxPerQueryValues {
		return fmt.Errorf("per-query dataset %s: %d %s names, more than values allowed", dataset, len(names), what)
	}
	for i, n := range names {
		if n == "" || len(n) > limit || !utf8.ValidString(n) || strings.Contains(n, ":") && what == "pool" {
			return fmt.Errorf("per-query dataset %s: %s name %.40q is empty, longer than %d bytes, not UTF-8 or holds ':'", dataset, what, n, limit)
		}
		if _, err := lang.ParsePoolKey(n); err != nil && what == "pool" {
			return fmt.Errorf("per-query dataset %s: %w", dataset, err)
		}
		if i > 0 && n <= names[i-1] {
			return fmt.Errorf("per-query dataset %s: %s names repeated or out of order at %.40q", dataset, what, n)
		}
	}
	return nil
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
