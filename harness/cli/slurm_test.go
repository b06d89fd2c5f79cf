package cli_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slurmCluster is a one-node Slurm cluster on this machine, with its own
// configuration, ports and state in a temporary directory.
type slurmCluster struct {
	dir, conf string
}

// requireSlurm skips (fails under CI, where `make test` installs them)
// when the Slurm and MUNGE daemons are missing or this is not root.
func requireSlurm(t *testing.T) {
	t.Helper()
	var missing []string
	for _, b := range []string{"slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "munged", "munge"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	why := ""
	switch {
	case len(missing) > 0:
		why = "missing " + strings.Join(missing, ", ") + " (make test installs slurmctld, slurmd, slurm-client and munge)"
	case os.Geteuid() != 0:
		why = "the one-node cluster runs its daemons as root"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Slurm integration test cannot run under CI: %s", why)
	}
	t.Skip(why)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSlurm starts MUNGE (unless it runs already), slurmctld and slurmd,
// waits for the node to be idle, and stops the cluster when the test ends.
func startSlurm(t *testing.T) *slurmCluster {
	t.Helper()
	if exec.Command("munge", "-n").Run() != nil {
		os.MkdirAll("/run/munge", 0o755)
		exec.Command("chown", "munge:munge", "/run/munge").Run()
		if out, err := exec.Command("runuser", "-u", "munge", "--", "munged").CombinedOutput(); err != nil {
			t.Fatalf("starting munged: %v\n%s", err, out)
		}
		// The test started it, so the test stops it: nothing it starts
		// outlives it.
		t.Cleanup(func() {
			if pid, err := os.ReadFile("/run/munge/munged.pid"); err == nil {
				exec.Command("kill", strings.TrimSpace(string(pid))).Run()
			} else {
				exec.Command("pkill", "-x", "munged").Run()
			}
		})
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	c := &slurmCluster{dir: t.TempDir()}
	c.conf = filepath.Join(c.dir, "slurm.conf")
	for _, d := range []string{"state", "spool"} {
		os.MkdirAll(filepath.Join(c.dir, d), 0o755)
	}
	conf := fmt.Sprintf(`ClusterName=xlbenchtest
SlurmctldHost=%[1]s
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=%[2]s/state
SlurmdSpoolDir=%[2]s/spool
SlurmctldPidFile=%[2]s/slurmctld.pid
SlurmdPidFile=%[2]s/slurmd.pid
SlurmctldLogFile=%[2]s/slurmctld.log
SlurmdLogFile=%[2]s/slurmd.log
SlurmctldPort=%[3]d
SlurmdPort=%[4]d
NodeName=%[1]s CPUs=%[5]d State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`, host, c.dir, freePort(t), freePort(t), max(1, runtimeCPUs()))
	if err := os.WriteFile(c.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"slurmctld", "slurmd"} {
		if out, err := c.cmd(d, "-f", c.conf).CombinedOutput(); err != nil {
			t.Fatalf("starting %s: %v\n%s", d, err, out)
		}
	}
	t.Cleanup(func() {
		c.cmd("scontrol", "shutdown").Run()
		var pids []string
		for _, pid := range []string{"slurmctld.pid", "slurmd.pid"} {
			if b, err := os.ReadFile(filepath.Join(c.dir, pid)); err == nil {
				pids = append(pids, strings.TrimSpace(string(b)))
				exec.Command("kill", strings.TrimSpace(string(b))).Run()
			}
		}
		// The daemons write their state as they stop: wait for them to be
		// gone before the test's temporary folder is removed under them.
		for _, pid := range pids {
			for i := 0; i < 100 && exec.Command("kill", "-0", pid).Run() == nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := c.cmd("sinfo", "-h", "-o", "%T").Output()
		if strings.Contains(string(out), "idle") {
			return c
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(filepath.Join(c.dir, "slurmd.log"))
			t.Fatalf("the node never became idle (sinfo: %q)\n%s", out, logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func runtimeCPUs() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 1
	}
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

func (c *slurmCluster) cmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "SLURM_CONF="+c.conf)
	return cmd
}

// TestSlurmJobArray submits a small spec to a one-node Slurm cluster as a
// job array (one task per cell, `xlbench submit -backend slurm`), waits for
// it, and checks that the results the tasks wrote equal a local run's.
func TestSlurmJobArray(t *testing.T) {
	requireSlurm(t)
	c := startSlurm(t)
	local, shared := t.TempDir(), t.TempDir()
	began := time.Now()
	if _, stderr, code := xlbench(t, "run", "-data", tinyData(), "-out", local, "testdata/tiny-train.hcl"); code != 0 {
		t.Fatalf("local run: code %d\n%s", code, stderr)
	}
	localTime := time.Since(began)
	began = time.Now()
	submit := exec.Command(bin.xlbench, "submit", "-backend", "slurm", "-cpus", "1", "-data", tinyData(), "-out", shared, "testdata/tiny-train.hcl")
	submit.Env = append(os.Environ(), "SLURM_CONF="+c.conf)
	var o, e bytes.Buffer
	submit.Stdout, submit.Stderr = &o, &e
	if err := submit.Run(); err != nil {
		t.Fatalf("submit: %v\n%s%s", err, o.String(), e.String())
	}
	job := strings.TrimSpace(o.String())
	if job == "" {
		t.Fatalf("sbatch printed no job id:\n%s", e.String())
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, _ := c.cmd("squeue", "-h", "-j", job).Output()
		if strings.TrimSpace(string(out)) == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still queued or running after 5 minutes:\n%s", job, out)
		}
		time.Sleep(time.Second)
	}
	t.Logf("5 cells: local run %.1fs; Slurm job array %s from submission to the last task %.1fs", localTime.Seconds(), job, time.Since(began).Seconds())
	logs := func() string {
		files, _ := filepath.Glob(filepath.Join(shared, "slurm-*.out"))
		var text []byte
		for _, l := range files {
			b, _ := os.ReadFile(l)
			text = append(text, b...)
		}
		return "no result from the job array; task logs:\n" + string(text)
	}
	if n := sameResults(t, local, shared, true, "the Slurm task's result differs from the local run's", logs); n != 5 {
		t.Fatalf("%d local results", n)
	}
	merged, _, code := xlbench(t, "report", "-out", shared)
	if code != 0 || !strings.Contains(merged, "dual × hybrid") {
		t.Errorf("report over the array's results: code %d\n%s", code, merged)
	}
}
