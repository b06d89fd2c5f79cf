package results

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPerQueryRoundTrip: the compact record gives back every key and every
// value's bits, writes the same bytes for the same values, and is a
// fraction of the keyed JSON's size; a legacy keyed-JSON record still reads.
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
	var buf, again bytes.Buffer
	if err := encodePerQuery(&buf, pq); err != nil {
		t.Fatal(err)
	}
	encodePerQuery(&again, pq)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("the same values gave different bytes")
	}
	got, err := decodePerQuery(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pq["xq"], got["xq"]); diff != "" || got["ml"]["mono"]["ar:q1"] != 0.25 {
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
	legacy, err := decodePerQuery(bytes.NewReader(keyed))
	if err != nil || !cmp.Equal(legacy, pq) {
		t.Errorf("legacy record: %v", err)
	}
	// Damage is an error, not a short record.
	if _, err := decodePerQuery(bytes.NewReader(buf.Bytes()[:buf.Len()-3])); err == nil {
		t.Error("a truncated record read without error")
	}
}
