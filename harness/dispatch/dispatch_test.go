package dispatch

import (
	"strings"
	"testing"
)

func TestSlurmScript(t *testing.T) {
	got, err := Slurm(Job{Name: "xlbench-xquad-r", Cells: 10, Xlbench: "/opt/x lbench", LogDir: "/shared/results",
		Args: []string{"-out", "/shared/results", "-data", "/shared/data", "/shared/specs/xquad-r.hcl"}, CPUs: 2, Time: "01:00:00", GPUs: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := `#!/bin/bash
#SBATCH --job-name=xlbench-xquad-r
#SBATCH --array=0-9
#SBATCH --output=/shared/results/slurm-%A_%a.out
#SBATCH --cpus-per-task=2
#SBATCH --time=01:00:00
#SBATCH --gres=gpu:4
# One cell per array task: task N runs cell N of ` + "`xlbench plan`" + `.
set -eu
exec '/opt/x lbench' cell run -index "$SLURM_ARRAY_TASK_ID" -out /shared/results -data /shared/data /shared/specs/xquad-r.hcl
`
	if got != want {
		t.Errorf("script:\n%s\nwant:\n%s", got, want)
	}
	if _, err := Slurm(Job{Cells: 0}); err == nil {
		t.Error("an empty array was rendered")
	}
}

func TestKubernetesIndexedJob(t *testing.T) {
	got, err := Kubernetes(Job{Name: "xlbench_xquad.r", Cells: 10, Parallelism: 4, Xlbench: "xlbench", Image: "registry/xlbench:1",
		Args: []string{"-out", "/work/results", "/work/specs/a b.hcl"}, Claim: "xlbench-work", MountPath: "/work", GPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"name: xlbench-xquad-r\n", "completionMode: Indexed\n", "completions: 10\n", "parallelism: 4\n",
		`command: ["/bin/sh", "-c", "exec xlbench cell run -index \"$JOB_COMPLETION_INDEX\" -out /work/results '/work/specs/a b.hcl'"]`,
		"claimName: xlbench-work\n", "mountPath: /work\n", "              nvidia.com/gpu: 2\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("manifest lacks %q:\n%s", want, got)
		}
	}
	if _, err := Kubernetes(Job{Cells: 3}); err == nil {
		t.Error("a job without an image was rendered")
	}
}
