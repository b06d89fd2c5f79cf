// Command trigram-encoder is an example encoder plugin, written against the
// public packages plugins and plugins/sdk: an untrained dense encoder that
// hashes each text's character trigrams into dim signed buckets and
// normalises the sum, so that cosine similarity counts shared trigrams.
// Untrained, it is evaluated once per experiment; the SDK refuses training
// calls for it.
//
//	go build -o bin/trigram-encoder ./plugins/examples/trigram-encoder
//	encoder "trigrams" { plugin = "bin/trigram-encoder", params = { dim = 512 } }
package main

import (
	"context"
	"hash/fnv"
	"math"
	"strings"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// Def defines the plugin; main serves it and the test drives it in process.
var Def = sdk.EncoderDef{
	Info: plugins.Info{
		Name:        "trigram-encoder",
		Version:     "0.1.0",
		Description: "untrained: character trigrams hashed into dim signed buckets, normalised",
		Params: []plugins.ParamSpec{{
			Name: "dim", Type: plugins.ParamInteger, Default: 256.0, Min: plugins.Bound(8), Max: plugins.Bound(65536),
			Description: "vector dimension (hash buckets)",
		}},
	},
	New: func(cfg plugins.EncoderConfig) (sdk.EncoderModel, plugins.EncoderInfo, error) {
		m := model{dim: cfg.Params.Int("dim")}
		return m, plugins.EncoderInfo{Dim: m.dim}, nil
	},
}

type model struct{ dim int }

// Encode gives queries and passages the same vectors: the model has no
// sides to tell apart.
func (m model) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	v := plugins.Vectors{Count: len(req.Texts), Dim: m.dim, Dense: make([]float32, len(req.Texts)*m.dim)}
	for i, text := range req.Texts {
		row := v.Dense[i*m.dim : (i+1)*m.dim]
		rs := []rune(" " + strings.ToLower(text) + " ")
		for k := 0; k+3 <= len(rs); k++ {
			h := fnv.New64a()
			h.Write([]byte(string(rs[k : k+3])))
			x := h.Sum64() // its top bit signs it: collisions cancel on average
			row[x%uint64(m.dim)] += float32(1 - 2*int(x>>63))
		}
		norm := 0.0
		for _, f := range row {
			norm += float64(f) * float64(f)
		}
		if norm > 0 {
			inv := float32(1 / math.Sqrt(norm))
			for j := range row {
				row[j] *= inv
			}
		}
	}
	return v, nil
}

func main() { sdk.ServeEncoder(Def) }
