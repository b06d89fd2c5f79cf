package plugins

import (
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ServeSampler serves s as a sampler plugin until the host disconnects.
// Call it from a plugin's main.
func ServeSampler(s Sampler) {
	serve(plugin.PluginSet{string(KindSampler): &SamplerPlugin{Impl: s}})
}

// ServeEncoder serves e as an encoder plugin until the host disconnects.
func ServeEncoder(e Encoder) {
	serve(plugin.PluginSet{string(KindEncoder): &EncoderPlugin{Impl: e}})
}

func serve(set plugin.PluginSet) {
	watchHost()
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         set,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes))
			return plugin.DefaultGRPCServer(opts)
		},
		// Log as JSON on stderr: the host re-logs each line under the
		// plugin's name.
		Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true, Level: hclog.Info}),
	})
}

// watchHost exits the plugin when the host that started it is gone. On Linux
// the host also asks the kernel to kill its plugins when it dies (Pdeathsig);
// this check covers the moment before that request takes effect and the
// systems without it.
func watchHost() {
	want, err := strconv.Atoi(os.Getenv(HostPIDEnv))
	if err != nil || want <= 0 {
		return
	}
	if os.Getppid() != want {
		os.Exit(3)
	}
	go func() {
		for range time.Tick(250 * time.Millisecond) {
			if os.Getppid() != want {
				os.Exit(3)
			}
		}
	}()
}
