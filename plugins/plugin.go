package plugins

import (
	"github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the version of the plugin protocol. Host and plugin
// must agree on it; a plugin built against another version fails the
// handshake with a message that names both versions.
const ProtocolVersion = 1

// Handshake is the go-plugin handshake every xlbench plugin answers. The
// magic cookie only guards against running a plugin binary by hand; it is
// not a security measure.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "XLBENCH_PLUGIN",
	MagicCookieValue: "0e5c2a7d-xlbench-plugin-protocol",
}

// Kind names a plugin kind; it is also the key under which go-plugin
// dispenses it.
type Kind string

// The plugin kinds.
const (
	KindSampler Kind = "sampler"
	KindEncoder Kind = "encoder"
	KindReader  Kind = "reader"
)

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
		string(KindSampler): &SamplerPlugin{},
		string(KindEncoder): &EncoderPlugin{},
		string(KindReader):  &ReaderPlugin{},
	}
}
