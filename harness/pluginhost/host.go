// Package pluginhost starts plugin processes and hands out their clients.
//
// Built-in plugins are the xlbench binary itself, re-executed as
// `xlbench plugin serve NAME`; external plugins are executables named by
// path. Every plugin process dies with the host: on Linux the kernel kills
// it when the host dies (Pdeathsig, even on SIGKILL), the plugin exits when
// its parent changes (plugins.Serve), and Close kills what is left on a
// normal exit, an interrupt or a panic that the CLI recovers.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/transport"
)

// Host starts plugins.
type Host struct {
	// Self is the path of the xlbench binary, re-executed for built-ins.
	Self string
	// Builtins maps built-in names to their kind.
	Builtins map[string]plugins.Kind
	// Logger receives plugin logs, each under the plugin's name.
	Logger hclog.Logger
	// CallTimeout bounds each plugin call; a plugin that does not answer
	// in time is reported as hung.
	CallTimeout time.Duration
	// HandshakeTimeout bounds the start of a plugin: a plugin that has not
	// completed go-plugin's handshake by then is killed, with whatever it
	// started, and reported ($XLBENCH_HANDSHAKE_TIMEOUT, default 30 s).
	HandshakeTimeout time.Duration

	mu      sync.Mutex
	clients map[*plugin.Client]*exec.Cmd
	closed  bool
	// pins maps an external plugin's absolute path to the sha256 its
	// executable must have to be started (Pin).
	pins map[string]string
	// socketDir holds the plugins' unix sockets (sockets).
	socketDir string
	spawn     chan func()
}

// New returns a Host.
func New(self string, builtins map[string]plugins.Kind, logger hclog.Logger) *Host {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Host{Self: self, Builtins: builtins, Logger: logger, CallTimeout: 30 * time.Minute, HandshakeTimeout: 30 * time.Second,
		clients: map[*plugin.Client]*exec.Cmd{}, pins: map[string]string{}}
}

// Resolve checks a plugin reference and returns the kind a built-in has
// (empty for an external binary, whose kind is known once it runs).
func (h *Host) Resolve(ref string) (plugins.Kind, error) {
	if name, ok := strings.CutPrefix(ref, plugins.BuiltinPrefix); ok {
		kind, ok := h.Builtins[name]
		if !ok {
			return "", fmt.Errorf("unknown built-in plugin %q; built-in plugins: %s", ref, strings.Join(h.builtinRefs(), ", "))
		}
		return kind, nil
	}
	// A path, never a name looked up on $PATH: a spec names exactly the
	// file that runs (and that its lock file pins).
	if !strings.ContainsRune(ref, filepath.Separator) {
		return "", fmt.Errorf("plugin %q: an external plugin is named by its path (relative to the spec file: \"./%s\"); a built-in as %sNAME: %s",
			ref, ref, plugins.BuiltinPrefix, strings.Join(h.builtinRefs(), ", "))
	}
	st, err := os.Stat(ref)
	if err != nil {
		return "", fmt.Errorf("plugin %q: no such executable", ref)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("plugin %q is not an executable file", ref)
	}
	return "", nil
}

func (h *Host) builtinRefs() []string {
	var out []string
	for n := range h.Builtins {
		out = append(out, plugins.BuiltinPrefix+n)
	}
	sort.Strings(out)
	return out
}

// Instance is one running plugin process.
type Instance struct {
	Ref    string
	Label  string // what the plugin is doing, e.g. the cell name
	client *plugin.Client
	cmd    *exec.Cmd
	raw    any
	host   *Host
	logs   *cappedLogger
}

// Start launches the plugin ref as kind. label names the work it serves in
// errors (for example "cell bm25").
func (h *Host) Start(ref string, kind plugins.Kind, label string) (*Instance, error) {
	if _, err := h.Resolve(ref); err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	var exe *os.File // an external plugin's open executable, closed once started
	name := ref
	if b, ok := strings.CutPrefix(ref, plugins.BuiltinPrefix); ok {
		if k := h.Builtins[b]; k != kind {
			return nil, fmt.Errorf("plugin %s is a %s plugin, not %s", ref, k, article(kind))
		}
		cmd = exec.Command(h.Self, "plugin", "serve", b)
		name = b
	} else {
		var err error
		if cmd, exe, err = h.externalCommand(ref); err != nil {
			return nil, fmt.Errorf("plugin %s, %s: start: %w", ref, label, err)
		}
		defer exe.Close()
		name = filepath.Base(ref)
	}
	socketDir, serr := h.sockets()
	if serr != nil {
		return nil, serr
	}
	cmd.Env = append(os.Environ(), transport.HostPIDEnv+"="+strconv.Itoa(os.Getpid()), plugin.EnvUnixSocketDir+"="+socketDir)
	setDeathSignal(cmd)

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errors.New("plugin host is shutting down")
	}
	h.mu.Unlock()

	// Every line the plugin logs, however it arrives, draws on one budget.
	logs := newCappedLogger(h.Logger.Named(name), ref)
	errRelay := &stderrRelay{log: logs}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  transport.Handshake,
		Plugins:          transport.PluginSet(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logs,
		Stderr:           errRelay,
		// What plugin code prints to os.Stdout and os.Stderr arrives over
		// go-plugin's stdio stream, not the process's stderr.
		SyncStdout:   &stderrRelay{log: logs},
		SyncStderr:   &stderrRelay{log: logs},
		StartTimeout: h.HandshakeTimeout,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(transport.MaxMessageBytes),
			grpc.MaxCallSendMsgSize(transport.MaxMessageBytes),
		)},
	})
	h.mu.Lock()
	h.clients[client] = cmd
	h.mu.Unlock()

	inst := &Instance{Ref: ref, Label: label, client: client, cmd: cmd, host: h, logs: logs}
	var err error
	h.onSpawnThread(func() {
		var rpc plugin.ClientProtocol
		if rpc, err = client.Client(); err == nil {
			inst.raw, err = rpc.Dispense(string(kind))
		}
	})
	if err != nil {
		inst.Kill() // waits for the process, so its stderr is read
		if t := errRelay.Tail(); t != "" {
			// The cause (an import error, a missing library) is in what
			// the process printed before it died, not in go-plugin's
			// generic handshake message.
			return nil, fmt.Errorf("plugin %s, %s: start: no handshake; the plugin process printed, last:\n%s", ref, label, t)
		}
		return nil, inst.wrap("start", err)
	}
	return inst, nil
}

// onSpawnThread runs f on one OS thread that lives as long as the host.
// Pdeathsig fires when the thread that forked the child exits, not the
// process; Go may retire idle threads, so plugins are forked from a thread
// that is locked and never released.
func (h *Host) onSpawnThread(f func()) {
	h.mu.Lock()
	if h.spawn == nil {
		h.spawn = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives on
			for g := range h.spawn {
				g()
			}
		}()
	}
	ch := h.spawn
	h.mu.Unlock()
	done := make(chan struct{})
	ch <- func() { f(); close(done) }
	<-done
}

// Kill stops the plugin process and everything it started.
func (i *Instance) Kill() {
	stop(i.client, i.cmd)
	if i.logs != nil {
		i.logs.budget.report(i.logs.Logger)
	}
	i.host.mu.Lock()
	delete(i.host.clients, i.client)
	i.host.mu.Unlock()
}

// killGrace is how long stop lets go-plugin end a plugin its way (a
// shutdown request, then a kill after two seconds) before it kills the
// plugin's process group itself.
const killGrace = 3 * time.Second

// stop ends a plugin: go-plugin's Kill, and then SIGKILL to the plugin's
// process group, which ends the processes a wrapper script left behind.
// go-plugin's Kill waits for the plugin's stdout to close, and a process
// left holding it (a child of a wrapper that did not exec) would keep it
// waiting for ever: after killGrace the group is killed regardless.
func stop(c *plugin.Client, cmd *exec.Cmd) {
	done := make(chan struct{})
	go func() { c.Kill(); close(done) }()
	select {
	case <-done:
	case <-time.After(killGrace):
	}
	killGroup(cmd)
	<-done
}

// Shutdown stops the plugin as Kill does, and says how it ended: nil when
// the process exited with status 0 after the host's shutdown request, an
// error when it had to be killed (go-plugin waits two seconds) or exited
// with another status.
func (i *Instance) Shutdown() error {
	i.Kill()
	st := i.cmd.ProcessState
	switch {
	case st == nil:
		return fmt.Errorf("plugin %s: the process's end was not observed", i.Ref)
	case !st.Exited():
		return fmt.Errorf("plugin %s did not exit on the host's shutdown request and was killed (%v)", i.Ref, st)
	case st.ExitCode() != 0:
		return fmt.Errorf("plugin %s exited with status %d on the host's shutdown request", i.Ref, st.ExitCode())
	}
	return nil
}

// Close kills every plugin still running; later Starts fail.
func (h *Host) Close() {
	h.mu.Lock()
	h.closed = true
	clients := h.clients
	h.clients = map[*plugin.Client]*exec.Cmd{}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for c, cmd := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); stop(c, cmd) }()
	}
	wg.Wait()
	h.mu.Lock()
	dir := h.socketDir
	h.socketDir = ""
	h.mu.Unlock()
	if dir != "" {
		// The sockets of plugins that were killed, which could not remove
		// their own.
		os.RemoveAll(dir)
		liveSockets.Lock()
		delete(liveSockets.dirs, dir)
		liveSockets.Unlock()
	}
}

// socketDirPrefix begins the name of a host's socket folder, followed by
// the host's pid and a dash.
const socketDirPrefix = "xlbench-plugins-"

// liveSockets holds the socket folders of this process's open hosts.
var liveSockets = struct {
	sync.Mutex
	dirs map[string]bool
}{dirs: map[string]bool{}}

// RemoveSockets removes the socket folders of every open host in this
// process, for exits that do not wait for Close (the CLI's exit after a
// signal's grace): the plugins die with the process, their sockets would
// stay.
func RemoveSockets() {
	liveSockets.Lock()
	defer liveSockets.Unlock()
	for dir := range liveSockets.dirs {
		os.RemoveAll(dir)
		delete(liveSockets.dirs, dir)
	}
}

// SweepSockets removes the socket folders, in the temporary folder, of
// hosts whose process is gone: a host killed with SIGKILL removes nothing.
// A folder is left when its pid is alive (whatever runs under it now), is
// not the user's, or is not named as a host names its own.
func SweepSockets() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), socketDirPrefix+"*-*"))
	for _, dir := range matches {
		digits, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), socketDirPrefix), "-")
		pid, err := strconv.Atoi(digits)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // alive
		}
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() {
			continue
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
			continue
		}
		os.RemoveAll(dir)
	}
}

// sockets returns the host's private folder for its plugins' unix
// sockets, creating it at the first plugin: go-plugin's servers (and the
// Python SDK) create theirs in $PLUGIN_UNIX_SOCKET_DIR, and a plugin that
// is killed leaves its socket behind; Close removes the folder with
// whatever is left in it, RemoveSockets does on the exits that skip
// Close, and the next host sweeps the folders of hosts that were killed
// (SweepSockets).
func (h *Host) sockets() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.socketDir == "" {
		SweepSockets()
		dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", socketDirPrefix, os.Getpid()))
		if err != nil {
			return "", fmt.Errorf("a folder for plugin sockets: %w", err)
		}
		h.socketDir = dir
		liveSockets.Lock()
		liveSockets.dirs[dir] = true
		liveSockets.Unlock()
	}
	return h.socketDir, nil
}

// wrap names the plugin, its work and the call in an error, and says when
// the process has died or a call timed out.
func (i *Instance) wrap(call string, err error) error {
	if err == nil {
		return nil
	}
	state := ""
	switch {
	case i.client.Exited():
		state = " (plugin process exited)"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "DeadlineExceeded"):
		state = fmt.Sprintf(" (no answer within %s: plugin hung?)", i.host.CallTimeout)
	}
	return fmt.Errorf("plugin %s, %s: %s%s: %w", i.Ref, i.Label, call, state, err)
}

func (i *Instance) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	if i.host.CallTimeout <= 0 {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, i.host.CallTimeout)
}

func article(k plugins.Kind) string {
	if strings.ContainsRune("aeiou", rune(k[0])) {
		return "an " + string(k)
	}
	return "a " + string(k)
}
