// Package builtin lists the plugins compiled into the xlbench binary. They
// still run out of process: the harness starts `xlbench plugin serve NAME`,
// and that process serves one of them over the plugin protocol, exactly as
// an external plugin binary would.
package builtin

import (
	"sort"

	"github.com/xlbench/xlbench/builtin/bm25"
	"github.com/xlbench/xlbench/builtin/dualenc"
	"github.com/xlbench/xlbench/builtin/reader"
	"github.com/xlbench/xlbench/builtin/samplers"
	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
	"github.com/xlbench/xlbench/plugins/transport"
)

// Plugin is one built-in plugin.
type Plugin struct {
	Name string
	Kind plugins.Kind
	// Source is the folder of its source in the xlbench repository, the
	// page the leaderboard links a result to.
	Source string
	Serve  func()
}

func sampler(def func() sdk.SamplerDef) Plugin {
	d := def()
	return Plugin{Name: d.Info.Name, Kind: plugins.KindSampler, Source: "builtin/samplers", Serve: func() { sdk.ServeSampler(d) }}
}

var registry = []Plugin{
	{Name: "bm25", Kind: plugins.KindEncoder, Source: "builtin/bm25", Serve: func() { transport.ServeEncoder(bm25.New()) }},
	{Name: "gorgonia", Kind: plugins.KindEncoder, Source: "builtin/dualenc", Serve: func() { transport.ServeEncoder(dualenc.New()) }},
	{Name: "reader", Kind: plugins.KindReader, Source: "builtin/reader", Serve: func() { transport.ServeReader(reader.New()) }},
	sampler(samplers.Monolingual),
	sampler(samplers.CrossLingual),
	sampler(samplers.Hybrid),
}

// Lookup returns the built-in plugin called name (without "builtin:").
func Lookup(name string) (Plugin, bool) {
	for _, p := range registry {
		if p.Name == name {
			return p, true
		}
	}
	return Plugin{}, false
}

// Kinds maps every built-in plugin's name to its kind.
func Kinds() map[string]plugins.Kind {
	out := make(map[string]plugins.Kind, len(registry))
	for _, p := range registry {
		out[p.Name] = p.Kind
	}
	return out
}

// Names lists the built-in plugins' names in order.
func Names() []string {
	out := make([]string, 0, len(registry))
	for _, p := range registry {
		out = append(out, p.Name)
	}
	sort.Strings(out)
	return out
}
