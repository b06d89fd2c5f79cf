package statcache

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRoundTrip: values come back bit for bit, +Inf and NaN included;
// a missing, malformed or oversized entry, or a key that is not a sha256,
// is a miss; opening another namespace drops the previous one's values.
func TestRoundTrip(t *testing.T) {
	root := t.TempDir()
	ns := strings.Repeat("a", 64)
	d, err := Open(root, ns)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.Repeat("0f", 32)
	want := []float64{1, -0.25, math.Inf(1), math.NaN(), 5e-324}
	d.Put(key, want)
	got, ok := d.Get(key)
	if !ok || len(got) != len(want) {
		t.Fatalf("Get = %v, %v", got, ok)
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
	if _, ok := d.Get(strings.Repeat("1f", 32)); ok {
		t.Error("a key never put was found")
	}
	for _, bad := range []string{"../../etc/passwd", "0f", strings.Repeat("0F", 32)} {
		d.Put(bad, want)
		if _, ok := d.Get(bad); ok {
			t.Errorf("key %q accepted", bad)
		}
	}
	short := strings.Repeat("2f", 32)
	os.MkdirAll(filepath.Join(root, ns, "2f"), 0o755)
	os.WriteFile(filepath.Join(root, ns, "2f", short), []byte{1, 2, 3}, 0o644)
	if _, ok := d.Get(short); ok {
		t.Error("an entry of 3 bytes was read")
	}
	other, err := Open(root, strings.Repeat("b", 64))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := other.Get(key); ok {
		t.Error("another namespace's value was read")
	}
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{strings.Repeat("b", 64)}) {
		t.Errorf("namespaces left: %v", names)
	}
}
