package results

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xlbench/xlbench/harness/metrics"
)

// TestPerQueryRoundTrip: the compact record gives back every key and every
// value's bits, writes the same bytes for the same values, and is a
// fraction of the keyed JSON's size; the keyed JSON of the first format is
// refused.
func TestPerQueryRoundTrip(t *testing.T) {
	pq := map[string]map[string]map[string]float64{"xq": {}, "ml": {"mono": {"ar:q1": 0.25}}}
	langs := []string{"ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"}
	for _, setting := range []string{"mono", "cross", "multi", "mono/em", "cross/f1"} {
		vals := map[string]float64{}
		for qi := range 200 {
			q := fmt.Sprintf("56beb4343aeaaa14008c%04x", qi)
			for i, a := range langs {
				if setting != "cross" && setting != "cross/f1" {
					vals[a+":"+q] = 1 / float64(qi+i+1)
					continue
				}
				for _, b := range langs {
					if a != b {
						vals[a+"-"+b+":"+q] = math.Nextafter(1/float64(qi+i+3), 1)
					}
				}
			}
		}
		pq["xq"][setting] = vals
	}
	typed := mustPerQuery(t, pq)
	var buf, again bytes.Buffer
	if err := encodePerQuery(&buf, typed); err != nil {
		t.Fatal(err)
	}
	encodePerQuery(&again, typed)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("the same values gave different bytes")
	}
	got, err := decodePerQuery(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	back := map[string]map[string]float64{}
	for series := range pq["xq"] {
		back[series] = map[string]float64{}
		for k, v := range got.Values("xq", mustSeries(t, series)) {
			back[series][k.String()] = v
		}
	}
	if diff := cmp.Diff(pq["xq"], back); diff != "" || got.Values("ml", Series{Mono, metrics.MAP})[QueryKey{"ar", "q1"}] != 0.25 {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	size := func(b []byte) int {
		var z bytes.Buffer
		w := gzip.NewWriter(&z)
		w.Write(b)
		w.Close()
		return z.Len()
	}
	keyed, _ := json.Marshal(pq)
	if c, k := size(buf.Bytes()), size(keyed); c*2 > k {
		t.Errorf("compact record %d bytes gzipped, keyed JSON %d: want half or less", c, k)
	}
	if _, err := decodePerQuery(bytes.NewReader(keyed)); err == nil || !strings.Contains(err.Error(), "no longer read") {
		t.Errorf("legacy record: %v", err)
	}
	// Damage is an error, not a short record.
	if _, err := decodePerQuery(bytes.NewReader(buf.Bytes()[:buf.Len()-3])); err == nil {
		t.Error("a truncated record read without error")
	}
}

// TestQueryKeyOrder: keys order as their string forms do ("en-de:…"
// before "en:…"), the order every test and bootstrap draws in.
func TestQueryKeyOrder(t *testing.T) {
	keys := []QueryKey{{"en", "q2"}, {"en-de", "q1"}, {"en", "q10"}, {"e", "z"}, {"en", "q1"}, {"de", "q1"}}
	// Every pair of pools that are prefixes of one another, or share one,
	// with questions that sort either side of ':'.
	for _, p := range []string{"e", "en", "ena", "en-", "en-de", "en-dea", "de"} {
		for _, q := range []string{"", "0", "9", ":", "a", "q1", "Z"} {
			keys = append(keys, QueryKey{p, q})
		}
	}
	got := slices.SortedFunc(slices.Values(keys), QueryKey.Compare)
	want := slices.Clone(keys)
	slices.SortFunc(want, func(a, b QueryKey) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// hostileRecord writes a per-query record with the header given and body
// bytes after it, gzipped.
func hostileRecord(header string, body []byte) []byte {
	var raw bytes.Buffer
	raw.WriteString(perQueryMagic + header + "\n")
	raw.Write(body)
	return raw.Bytes()
}

// TestHostilePerQueryRecords: records built to exhaust memory or to carry
// values that are no measurement are refused, each with a message saying
// what is wrong, before anything large is allocated.
func TestHostilePerQueryRecords(t *testing.T) {
	long := strings.Repeat("q", 100_000)
	cases := []struct {
		name, header string
		body         []byte
		want         string
	}{
		{"count of 2^40", `{"datasets":{"d":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"d","setting":"mono","count":1099511627776}]}`, nil, "beyond the 4194304 a per-query file may hold"},
		{"long names", `{"datasets":{"d":{"pools":["en"],"questions":["` + long + `"]}},"sections":[]}`, nil, "longer than 255 bytes"},
		{"grid repeating a pool", `{"datasets":{"d":{"pools":["de","en"],"questions":["q1"]}},"sections":[{"dataset":"d","setting":"mono","count":2,"grid":true,"pools":[0,0]}]}`, nil, "pool indices out of range or repeated"},
		{"names out of order", `{"datasets":{"d":{"pools":["en","de"],"questions":["q1"]}},"sections":[]}`, nil, "repeated or out of order"},
		{"repeated key", `{"datasets":{"d":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"d","setting":"mono","count":2}]}`, []byte{0, 0, 0, 0, 0, 0}, "keys repeated or out of order"},
		{"section twice", `{"datasets":{"d":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"d","setting":"mono","count":1,"grid":true,"pools":[0]},{"dataset":"d","setting":"mono","count":1,"grid":true,"pools":[0]}]}`, []byte{2, 2}, "appears twice"},
		{"unknown field", `{"datasets":{},"sections":[],"extra":1}`, nil, "unknown field"},
		{"header past its limit", `{"datasets":{"d":{"pools":["en"],"questions":["` + strings.Repeat("x", maxPerQueryHeader) + `"]}},"sections":[]}`, nil, "longer than 4194304 bytes"},
	}
	for _, c := range cases {
		_, err := decodePerQuery(bytes.NewReader(hostileRecord(c.header, c.body)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	// Values that are no measurement: NaN, ±Inf, below 0, above 1.
	grid := `{"datasets":{"d":{"pools":["en"],"questions":["q1"]}},"sections":[{"dataset":"d","setting":"mono","count":1,"grid":true,"pools":[0]}]}`
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 1e300, math.Copysign(0, -1) - 1e-300} {
		body := []byte{1}
		body = binary.LittleEndian.AppendUint64(body, math.Float64bits(v))
		_, err := decodePerQuery(bytes.NewReader(hostileRecord(grid, body)))
		if err == nil || !strings.Contains(err.Error(), "outside [0, 1]") {
			t.Errorf("value %g: err = %v", v, err)
		}
	}
}

func mustSeries(t *testing.T, name string) Series {
	t.Helper()
	s, err := ParseSeries(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
