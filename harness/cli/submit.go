package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/xlbench/xlbench/harness/dispatch"
	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// cmdSubmit renders the cluster job that runs every cell of the plan as
// its own task, writes it under the results directory and, unless
// -dry-run, submits it (sbatch; kubectl apply).
func (a *App) cmdSubmit(ctx context.Context, args []string) error {
	fs := a.flags("submit", "-backend slurm|kubernetes [flags] SPEC...")
	backend := fs.String("backend", "slurm", "slurm (an sbatch job array) or kubernetes (an Indexed Job)")
	dataDir := fs.String("data", "", "data directory as the tasks see it (default: the one xlbench run would use here)")
	out := fs.String("out", "out", "results directory, shared by every task")
	only := fs.String("experiment", "", "only this experiment")
	dry := fs.Bool("dry-run", false, "write the job file and print it; do not submit")
	partition := fs.String("partition", "", "slurm: partition")
	walltime := fs.String("time", "", "slurm: time limit per task (HH:MM:SS)")
	cpus := fs.Int("cpus", 2, "slurm: CPUs per task")
	mem := fs.String("mem", "", "slurm: memory per task (e.g. 8G)")
	gpus := fs.Int("gpus", 0, "GPUs per task (slurm --gres=gpu:N, kubernetes nvidia.com/gpu); with the hf-encoder's processes = N, give N")
	image := fs.String("image", "", "kubernetes: image with xlbench on its PATH")
	parallel := fs.Int("parallelism", 0, "kubernetes: pods at once (0: all)")
	claim := fs.String("claim", "", "kubernetes: persistent volume claim with the data and results")
	mount := fs.String("mount", "/work", "kubernetes: where the claim is mounted")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	host, err := a.newHost(ctx, "")
	if err != nil {
		return err
	}
	defer host.Close()
	cells, err := a.plan(ctx, host, files, *only, "submit")
	if err != nil {
		return err
	}
	n := len(cells)
	abs := func(p string) string {
		if *backend == "kubernetes" {
			return p // paths inside the pods, as given
		}
		if q, err := filepath.Abs(p); err == nil {
			return q
		}
		return p
	}
	data := *dataDir
	if data == "" {
		store, err := a.dataStore("")
		if err != nil {
			return err
		}
		data = store.Dir
	}
	cellArgs := []string{"-data", abs(data), "-out", abs(*out)}
	if *only != "" {
		cellArgs = append(cellArgs, "-experiment", *only)
	}
	for _, f := range files {
		cellArgs = append(cellArgs, abs(f))
	}
	job := dispatch.Job{Name: dispatch.JobName(files[0]), Cells: n, Xlbench: host.Self, Args: cellArgs, LogDir: abs(*out),
		Partition: *partition, Time: *walltime, CPUs: *cpus, Mem: *mem, GPUs: *gpus,
		Image: *image, Parallelism: *parallel, Claim: *claim, MountPath: *mount}
	r, err := dispatch.Render(*backend, job, *out)
	if err != nil {
		return err
	}
	text, file, submit := r.Text, r.File, r.Submit
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := safepath.WriteFile(file, []byte(text), 0o755); err != nil {
		return err
	}
	fmt.Fprintf(a.Stderr, "%d cells; wrote %s\n", n, file)
	if *dry {
		fmt.Fprint(a.Stdout, text)
		return nil
	}
	cmd := exec.CommandContext(ctx, submit[0], submit[1:]...)
	cmd.Stdout, cmd.Stderr = a.Stdout, a.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(submit, " "), err)
	}
	fmt.Fprintf(a.Stderr, "submitted; when the tasks are done, `xlbench report -out %s` merges their results\n", *out)
	return nil
}
