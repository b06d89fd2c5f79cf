// Package dispatch renders the job files that run a plan's cells on a
// cluster, one cell per task, through the index contract of `xlbench cell
// run -index N`: a Slurm job array (task N runs cell N, from
// SLURM_ARRAY_TASK_ID) and a Kubernetes Indexed Job (pod N runs cell N, from
// JOB_COMPLETION_INDEX). Every task writes its result under the shared
// results directory; `xlbench report` merges them.
package dispatch

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Job is what a rendered job needs.
type Job struct {
	Name string
	// Cells is the number of cells in the plan; tasks are 0..Cells-1.
	Cells int
	// Xlbench is the xlbench executable (Slurm: a path every node sees;
	// Kubernetes: the command inside the image).
	Xlbench string
	// Args are the arguments after `cell run -index N`: flags, then specs.
	Args []string
	// Slurm: the directory for the tasks' logs, and optional resources.
	LogDir    string
	Partition string
	Time      string
	CPUs      int
	Mem       string
	// GPUs per task (Slurm's --gres=gpu:N, Kubernetes' nvidia.com/gpu
	// limit); 0 asks for none. A cell whose hf-encoder trains in N
	// processes (processes = N, device = "cuda") needs N.
	GPUs int
	// Kubernetes: the image, how many pods run at once (0: all), and a
	// persistent volume claim mounted at MountPath, where the data and the
	// results directory live (results must be shared to be merged).
	Image       string
	Parallelism int
	Claim       string
	MountPath   string
}

// quote quotes s for a POSIX shell.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func command(j Job, indexVar string) string {
	parts := []string{quote(j.Xlbench), "cell", "run", "-index", `"$` + indexVar + `"`}
	for _, a := range j.Args {
		parts = append(parts, quote(a))
	}
	return strings.Join(parts, " ")
}

// Slurm renders an sbatch script: a job array with one task per cell.
func Slurm(j Job) (string, error) {
	if j.Cells < 1 {
		return "", fmt.Errorf("no cells to submit")
	}
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", j.Name)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", j.Cells-1)
	fmt.Fprintf(&b, "#SBATCH --output=%s/slurm-%%A_%%a.out\n", j.LogDir)
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", max(1, j.CPUs))
	if j.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", j.Partition)
	}
	if j.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", j.Time)
	}
	if j.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", j.Mem)
	}
	if j.GPUs > 0 {
		fmt.Fprintf(&b, "#SBATCH --gres=gpu:%d\n", j.GPUs)
	}
	b.WriteString("# One cell per array task: task N runs cell N of `xlbench plan`.\n")
	b.WriteString("set -eu\n")
	b.WriteString("exec " + command(j, "SLURM_ARRAY_TASK_ID") + "\n")
	return b.String(), nil
}

// Kubernetes renders an Indexed Job: one pod per cell.
func Kubernetes(j Job) (string, error) {
	if j.Cells < 1 {
		return "", fmt.Errorf("no cells to submit")
	}
	if j.Image == "" {
		return "", fmt.Errorf("a Kubernetes job needs an image that holds xlbench and the data")
	}
	par := j.Parallelism
	if par <= 0 || par > j.Cells {
		par = j.Cells
	}
	name := strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, j.Name))
	script := command(j, "JOB_COMPLETION_INDEX")
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: batch/v1
kind: Job
metadata:
  name: %s
spec:
  completionMode: Indexed
  completions: %d
  parallelism: %d
  backoffLimitPerIndex: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: cell
          image: %s
          command: ["/bin/sh", "-c", %q]
`, name, j.Cells, par, j.Image, "exec "+script)
	if j.GPUs > 0 {
		fmt.Fprintf(&b, `          resources:
            limits:
              nvidia.com/gpu: %d
`, j.GPUs)
	}
	if j.Claim != "" {
		fmt.Fprintf(&b, `          volumeMounts:
            - name: work
              mountPath: %s
      volumes:
        - name: work
          persistentVolumeClaim:
            claimName: %s
`, j.MountPath, j.Claim)
	}
	return b.String(), nil
}

// Rendered is a job ready to submit: its text, the file it is written to
// under the results directory, and the command that submits that file.
type Rendered struct {
	Text   string
	File   string
	Submit []string
}

// Render renders j for backend ("slurm": an sbatch job array; "kubernetes":
// an Indexed Job), to be written under out.
func Render(backend string, j Job, out string) (Rendered, error) {
	var r Rendered
	var err error
	switch backend {
	case "slurm":
		r.Text, err = Slurm(j)
		r.File = filepath.Join(out, j.Name+".sbatch")
		r.Submit = []string{"sbatch", "--parsable", r.File}
	case "kubernetes":
		j.Xlbench = "xlbench" // the command inside the image
		r.Text, err = Kubernetes(j)
		r.File = filepath.Join(out, j.Name+".job.yaml")
		r.Submit = []string{"kubectl", "apply", "-f", r.File}
	default:
		return r, fmt.Errorf("-backend %q: want slurm or kubernetes", backend)
	}
	return r, err
}

// JobName names the job of a plan after its first spec file.
func JobName(spec string) string {
	return "xlbench-" + strings.TrimSuffix(filepath.Base(spec), filepath.Ext(spec))
}
