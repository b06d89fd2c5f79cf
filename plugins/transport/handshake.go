// Package transport carries the plugin contract between processes: the
// go-plugin handshake, the gRPC shims of each plugin kind (a client for the
// host, a server for the plugin) and the conversions to the wire format.
// The host (harness/pluginhost) and the SDK (plugins/sdk) use it; a plugin
// author needs only packages plugins and sdk.
package transport

import (
	"github.com/hashicorp/go-plugin"

	"github.com/xlbench/xlbench/plugins"
)

// Handshake is the go-plugin handshake every xlbench plugin answers. The
// magic cookie only guards against running a plugin binary by hand; it is
// not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  uint(plugins.ProtocolVersion),
	MagicCookieKey:   "XLBENCH_PLUGIN",
	MagicCookieValue: "0e5c2a7d-xlbench-plugin-protocol",
}

// MaxMessageBytes caps one gRPC message in either direction. gRPC's default
// of 4 MiB is too small for a corpus chunk or a block of vectors.
const MaxMessageBytes = 1 << 30

// HostPIDEnv names the environment variable through which the host passes its
// process id, so a plugin can exit when its host is gone (see Serve).
const HostPIDEnv = "XLBENCH_HOST_PID"

// PluginSet returns the go-plugin plugin set for the host side. The
// implementations are nil: the host only dispenses clients.
func PluginSet() plugin.PluginSet {
	return plugin.PluginSet{
		string(plugins.KindSampler): &SamplerPlugin{},
		string(plugins.KindEncoder): &EncoderPlugin{},
		string(plugins.KindReader):  &ReaderPlugin{},
	}
}
