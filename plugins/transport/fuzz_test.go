package transport

import (
	"testing"

	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"
	"google.golang.org/protobuf/proto"
)

// FuzzVectorsFromWire decodes any bytes as an encoder's answer: an error,
// or vectors whose shape holds (count × dim floats; sparse rows within
// their arrays), never a panic.
func FuzzVectorsFromWire(f *testing.F) {
	ok, _ := proto.Marshal(&pb.EncodeResponse{Count: 2, Dim: 1, Dense: []byte{0, 0, 128, 63, 0, 0, 0, 64},
		Sparse: &pb.SparseVectors{Offsets: []uint32{0, 1, 2}, Terms: []uint64{7, 9}, Weights: []float32{1, 2}}})
	f.Add(ok)
	bad, _ := proto.Marshal(&pb.EncodeResponse{Count: 3, Dim: 4, Dense: []byte{1, 2, 3}})
	f.Add(bad)
	// Count × Dim × 4 wraps to 0 in 64 bits: an empty block must not pass.
	wrap, _ := proto.Marshal(&pb.EncodeResponse{Count: 1 << 31, Dim: 1 << 31})
	f.Add(wrap)
	// Offsets that go back: row 1 would be Terms[2:1].
	back, _ := proto.Marshal(&pb.EncodeResponse{Count: 2, Sparse: &pb.SparseVectors{Offsets: []uint32{0, 2, 1}, Terms: []uint64{1}, Weights: []float32{1}}})
	f.Add(back)
	f.Fuzz(func(t *testing.T, data []byte) {
		var w pb.EncodeResponse
		if proto.Unmarshal(data, &w) != nil {
			return
		}
		v, err := vectorsFromWire(&w)
		if err != nil {
			return
		}
		if v.Dim > 0 && len(v.Dense) != v.Count*v.Dim {
			t.Fatalf("%d floats for %d × %d", len(v.Dense), v.Count, v.Dim)
		}
		if s := v.Sparse; s != nil {
			if s.Len() != v.Count || len(s.Terms) != len(s.Weights) {
				t.Fatalf("sparse: %d rows for %d, %d terms, %d weights", s.Len(), v.Count, len(s.Terms), len(s.Weights))
			}
			for i := 0; i < s.Len(); i++ {
				if s.Offsets[i] > s.Offsets[i+1] || int(s.Offsets[i+1]) > len(s.Terms) {
					t.Fatalf("row %d: offsets %d..%d of %d terms", i, s.Offsets[i], s.Offsets[i+1], len(s.Terms))
				}
			}
		}
	})
}

// TestHostileVectorsAreErrors: an encoder's answer whose Count × Dim × 4
// wraps round to the block's length, or whose sparse offsets go back, is a
// malformed answer, not a panic in the host.
func TestHostileVectorsAreErrors(t *testing.T) {
	for name, w := range map[string]*pb.EncodeResponse{
		"count × dim wraps":  {Count: 1 << 31, Dim: 1 << 31},
		"offsets go back":    {Count: 2, Sparse: &pb.SparseVectors{Offsets: []uint32{0, 2, 1}, Terms: []uint64{1}, Weights: []float32{1}}},
		"offsets start late": {Count: 1, Sparse: &pb.SparseVectors{Offsets: []uint32{1, 1}, Terms: []uint64{1}, Weights: []float32{1}}},
	} {
		if _, err := vectorsFromWire(w); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
