package lang

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPoolKey: keys round-trip through String and ParsePoolKey; a key
// with a language that is not a code (pt-BR) is refused, not split.
func TestPoolKey(t *testing.T) {
	for _, k := range []PoolKey{{"de", ""}, {"de", "en"}, {"de", "de"}, {"zh", "ara"}} {
		got, err := ParsePoolKey(k.String())
		if err != nil || got != k {
			t.Errorf("%+v: String %q parses to %+v, %v", k, k.String(), got, err)
		}
	}
	if s := (PoolKey{"de", "de"}).String(); s != "de-de" {
		t.Errorf("a same-language training pair is written %q, want de-de", s)
	}
	if (PoolKey{"de", "de"}).Cross() || !(PoolKey{"de", "en"}).Cross() || (PoolKey{"de", ""}).Cross() {
		t.Error("Cross")
	}
	for _, bad := range []string{"", "pt-BR", "de-", "-de", "de-en-fr", "DE", "de-en:q1"} {
		if k, err := ParsePoolKey(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, k)
		}
	}
}

// TestPoolKeyAsJSONKey: a map keyed by PoolKey is stored keyed by the
// written form and read back equal; a malformed key fails to decode,
// naming it.
func TestPoolKeyAsJSONKey(t *testing.T) {
	in := map[PoolKey]float64{{"de", ""}: 0.5, {"de", "en"}: 0.25}
	b, err := json.Marshal(in)
	if err != nil || string(b) != `{"de":0.5,"de-en":0.25}` {
		t.Fatalf("%s, %v", b, err)
	}
	var out map[PoolKey]float64
	if err := json.Unmarshal(b, &out); err != nil || len(out) != 2 || out[PoolKey{"de", "en"}] != 0.25 {
		t.Fatalf("%v, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"pt-BR":1}`), &out); err == nil || !strings.Contains(err.Error(), `"pt-BR"`) {
		t.Errorf("a malformed key: %v", err)
	}
	if _, err := json.Marshal(map[PoolKey]int{{"DE", ""}: 1}); err == nil {
		t.Error("a key that is not a code was written")
	}
}
