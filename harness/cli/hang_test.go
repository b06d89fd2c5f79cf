package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xlbench/xlbench/harness/cli"
)

// hangingPlugin writes a wrapper script that never answers the handshake
// and, not exec-ing, leaves a child (a sleep of a duration no other process
// uses) holding its stdout; and a spec that names it.
func hangingPlugin(t *testing.T) (spec, marker string) {
	return stuckPlugin(t, "", 3_000_000)
}

// stuckPlugin is hangingPlugin whose child is started through launch (a
// command such as setsid, or "" for none), with a sleep duration from
// base, so that tests' children never share a marker.
func stuckPlugin(t *testing.T, launch string, base int) (spec, marker string) {
	t.Helper()
	dir := t.TempDir()
	marker = fmt.Sprintf("%d", base+os.Getpid()%100_000)
	script := filepath.Join(dir, "wrapper.sh")
	os.WriteFile(script, []byte("#!/bin/sh\n"+strings.TrimSpace(launch+" sleep "+marker)+" &\nwait\n"), 0o755)
	spec = filepath.Join(dir, "s.hcl")
	os.WriteFile(spec, []byte(fmt.Sprintf("sampler \"stuck\" {\n  plugin = %q\n}\n", script)), 0o644)
	pin(t, spec)
	return spec, marker
}

// startValidate starts xlbench validate spec, its output gathered.
func startValidate(t *testing.T, spec string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin.xlbench, "validate", spec)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// orphans reports whether a process whose command line holds marker is
// still alive (read from /proc), waiting up to a second for the kernel to
// reap it; it kills any it finds.
func orphans(marker string) bool {
	for range 10 {
		pids := sleeping(marker)
		if len(pids) == 0 {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, pid := range sleeping(marker) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	return true
}

func sleeping(marker string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		raw, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(string(bytes.ReplaceAll(raw, []byte{0}, []byte{' '})), "sleep "+marker) {
			continue
		}
		var pid int
		fmt.Sscan(filepath.Base(d), &pid)
		pids = append(pids, pid)
	}
	return pids
}

// TestHandshakeTimeout: a plugin that never answers the handshake fails
// validate after the handshake timeout, naming the plugin, and the child
// its wrapper left behind is killed with it.
func TestHandshakeTimeout(t *testing.T) {
	spec, marker := hangingPlugin(t)
	cmd := exec.Command(bin.xlbench, "validate", spec)
	cmd.Env = append(os.Environ(), "XLBENCH_HANDSHAKE_TIMEOUT=2s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out.String(), "wrapper.sh") {
		t.Fatalf("validate: %v after %s\n%s", err, took, out.String())
	}
	if took > 15*time.Second {
		t.Errorf("validate took %s with a 2 s handshake timeout", took)
	}
	if orphans(marker) {
		t.Error("the wrapper's child outlived xlbench")
	}
}

// TestSignalEndsHungHandshake: SIGTERM ends xlbench within seconds while a
// plugin hangs in its handshake, and takes the plugin's child with it.
func TestSignalEndsHungHandshake(t *testing.T) {
	spec, marker := hangingPlugin(t)
	cmd, out := startValidate(t, spec)
	time.Sleep(time.Second)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	if took := time.Since(sent); took > 8*time.Second {
		t.Errorf("xlbench took %s to end after SIGTERM", took)
	}
	if ee, ok := err.(*exec.ExitError); !ok || (ee.ExitCode() != 143 && ee.ExitCode() != 1) {
		t.Errorf("exit: %v\n%s", err, out.String())
	}
	if orphans(marker) {
		t.Error("the wrapper's child outlived xlbench")
	}
}

// TestSignalEndsBlockedRead: a command blocked in a read that never
// returns — a spec given as a pipe that never delivers (a spec may be a
// pipe: `xlbench validate <(…)`) — ends within seconds of SIGTERM with
// status 143, and of SIGINT with 130.
func TestSignalEndsBlockedRead(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		fifo := filepath.Join(t.TempDir(), "spec.hcl")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Skipf("no FIFOs here: %v", err)
		}
		// Held open for writing and never written: the read blocks for
		// ever rather than seeing an end of file.
		w, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		cmd := exec.Command(bin.xlbench, "validate", fifo)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		sent := time.Now()
		cmd.Process.Signal(sig)
		err = cmd.Wait()
		if took := time.Since(sent); took > cli.SignalGrace+3*time.Second {
			t.Errorf("%v: xlbench took %s to end", sig, took)
		}
		want := 128 + int(sig)
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != want {
			t.Errorf("%v: exit %v, want status %d\n%s", sig, err, want, out.String())
		}
		if !strings.Contains(out.String(), "exiting without a result") {
			t.Errorf("%v: no word of why it exited:\n%s", sig, out.String())
		}
	}
}

// TestSetsidGrandchildDoesNotOutlive: a plugin whose child calls setsid
// (leaving the plugin's process group, which the host kills) and keeps
// the plugin's stdout open neither keeps validate alive after SIGTERM nor
// outlives it: xlbench is the subreaper of its descendants and kills the
// orphans it adopts when the command ends.
func TestSetsidGrandchildDoesNotOutlive(t *testing.T) {
	setsid, err := exec.LookPath("setsid")
	if err != nil {
		t.Skip("no setsid")
	}
	spec, marker := stuckPlugin(t, setsid, 4_000_000)
	cmd, out := startValidate(t, spec)
	time.Sleep(time.Second)
	if len(sleeping(marker)) == 0 {
		t.Fatalf("the grandchild did not start:\n%s", out.String())
	}
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if took := time.Since(sent); took > cli.SignalGrace+3*time.Second {
		t.Errorf("xlbench took %s to end after SIGTERM", took)
	}
	if orphans(marker) {
		t.Errorf("the setsid grandchild outlived xlbench:\n%s", out.String())
	}
}
