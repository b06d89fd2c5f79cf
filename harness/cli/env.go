package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/spec"
)

// The environment variables xlbench reads, here and nowhere else in the
// harness: the packages below take what they set as arguments.
const (
	// LogLevelEnv sets the plugins' log level when -log-level is not given.
	LogLevelEnv = "XLBENCH_LOG_LEVEL"
	// HandshakeTimeoutEnv sets how long a plugin may take to start and
	// answer go-plugin's handshake (a duration; default 30s).
	HandshakeTimeoutEnv = "XLBENCH_HANDSHAKE_TIMEOUT"
)

// getenv is the value of the environment variable key: from App.Environ
// when set (tests), else the process's.
func (a *App) getenv(key string) string {
	if a.Environ == nil {
		return os.Getenv(key)
	}
	for _, kv := range a.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// environ is the whole environment as getenv sees it.
func (a *App) environ() []string {
	if a.Environ == nil {
		return os.Environ()
	}
	return a.Environ
}

// dataStore resolves the data directory from the -data flag and the
// environment.
func (a *App) dataStore(flag string) (*dataset.Store, error) {
	return dataset.Resolve(dataset.Location{Flag: flag, EnvDir: a.getenv(dataset.EnvDataDir), EnvMaxFile: a.getenv(dataset.MaxFileEnv)})
}

// maxFileBytes is $XLBENCH_MAX_FILE, the largest file read (0: the
// default).
func (a *App) maxFileBytes() (int64, error) {
	return dataset.ParseMaxFile(a.getenv(dataset.MaxFileEnv))
}

// specValues are the spec variables set in the environment,
// XLBENCH_VAR_<name>=value.
func (a *App) specValues() spec.Values {
	vals := spec.Values{}
	for _, kv := range a.environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if name, ok := strings.CutPrefix(k, spec.VariableEnvPrefix); ok && name != "" {
				vals[name] = v
			}
		}
	}
	return vals
}

// handshakeTimeout is $XLBENCH_HANDSHAKE_TIMEOUT, or 0 for the host's
// default.
func (a *App) handshakeTimeout() (time.Duration, error) {
	v := a.getenv(HandshakeTimeoutEnv)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("$%s=%q: want a positive duration (e.g. 30s)", HandshakeTimeoutEnv, v)
	}
	return d, nil
}
