package transport

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/xlbench/xlbench/plugins"
)

// ServeSampler serves s as a sampler plugin until the host disconnects.
// Call it from a plugin's main.
func ServeSampler(s plugins.Sampler) {
	serve(plugin.PluginSet{string(plugins.KindSampler): &SamplerPlugin{Impl: s}})
}

// ServeEncoder serves e as an encoder plugin until the host disconnects.
func ServeEncoder(e plugins.Encoder) {
	serve(plugin.PluginSet{string(plugins.KindEncoder): &EncoderPlugin{Impl: e}})
}

// ServeReader serves r as a reader plugin until the host disconnects.
func ServeReader(r plugins.Reader) {
	serve(plugin.PluginSet{string(plugins.KindReader): &ReaderPlugin{Impl: r}})
}

func serve(set plugin.PluginSet) {
	// A plugin process has no command line of its own: what its host tells
	// it comes through the environment, as go-plugin's own handshake does,
	// and is read here, once.
	env := fromHost(os.Getenv)
	watchHost(env.hostPID)
	defer profileCPU(env.cpuProfile)()
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

// CPUProfileEnv names an environment variable that, when set to a path
// prefix, makes every plugin process write a CPU profile of its whole life to
// PREFIX.<pid>.pprof — the way to profile a plugin, which runs out of the
// reach of go test -cpuprofile.
const CPUProfileEnv = "XLBENCH_PLUGIN_CPUPROFILE"

// hostEnv is what the host passes a plugin process in its environment.
type hostEnv struct {
	hostPID    int    // HostPIDEnv; 0 when unset
	cpuProfile string // CPUProfileEnv's path prefix; "" when unset
}

func fromHost(getenv func(string) string) hostEnv {
	pid, err := strconv.Atoi(getenv(HostPIDEnv))
	if err != nil || pid < 0 {
		pid = 0
	}
	return hostEnv{hostPID: pid, cpuProfile: getenv(CPUProfileEnv)}
}

// profileCPU starts the profile CPUProfileEnv asks for (prefix) and
// returns the function that ends it.
func profileCPU(prefix string) func() {
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(fmt.Sprintf("%s.%d.pprof", prefix, os.Getpid()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", CPUProfileEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", CPUProfileEnv, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// watchHost exits the plugin when the host that started it is gone. On Linux
// the host also asks the kernel to kill its plugins when it dies (Pdeathsig);
// this check covers the moment before that request takes effect and the
// systems without it.
func watchHost(want int) {
	if want <= 0 {
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
