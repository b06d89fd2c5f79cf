package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/plan"
	"github.com/xlbench/xlbench/harness/results"
)

// stageRun is a pretraining stage's one run in this process: the cells
// that start from it wait for it, then share its outcome.
type stageRun struct {
	mu   sync.Mutex
	done bool
	res  *results.CellResult
	err  error
}

// RunStage makes sure a pretraining stage's model exists: a stored result
// with the stage's cell id and its saved model is reused; otherwise the
// stage cell runs and saves its model. It runs once per cell id in this
// process, however many cells ask (-j), and a lock file beside its result
// keeps other processes sharing the results directory (cell run -index,
// Slurm array tasks) from running it at the same time: they wait, then
// find it stored.
func (r *Runner) RunStage(ctx context.Context, stage plan.Cell) (*results.CellResult, error) {
	if stage.Inputs == nil {
		in, err := r.ids().CellInputs(stage)
		if err != nil {
			return nil, fmt.Errorf("stage %s/%s: %w", stage.Experiment.Name, stage.Name, err)
		}
		stage.Inputs = in
	}
	id := stage.Inputs.ID()
	r.mu.Lock()
	if r.stages == nil {
		r.stages = map[string]*stageRun{}
	}
	st := r.stages[id]
	if st == nil {
		st = &stageRun{}
		r.stages[id] = st
	}
	r.mu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.done {
		st.res, st.err = r.runStageOnce(ctx, stage, id)
		st.done = st.err == nil || ctx.Err() == nil
	}
	if st.err != nil {
		return nil, fmt.Errorf("stage %s/%s (cell id %s) failed: %w", stage.Experiment.Name, stage.Name, id, st.err)
	}
	return st.res, nil
}

func (r *Runner) runStageOnce(ctx context.Context, stage plan.Cell, id string) (*results.CellResult, error) {
	dir, err := results.CellDir(r.Out, stage.Experiment.Name, stage.Name)
	if err != nil {
		return nil, err
	}
	model, err := r.modelPath(stage)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := results.StageLockPath(r.Out, stage.Experiment.Name, stage.Name)
	if err != nil {
		return nil, err
	}
	unlock, err := lockFile(ctx, lock)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if !r.Force {
		prev, err := results.Read(r.Out, stage.Experiment.Name, stage.Name)
		_, statErr := os.Stat(model)
		switch {
		case err == nil && prev != nil && prev.CellID == id && statErr == nil:
			r.logf("stage %s/%s: result and model for cell id %s already stored; reused", stage.Experiment.Name, stage.Name, id)
			return prev, nil
		case err == nil && prev != nil && prev.CellID == id && errors.Is(statErr, fs.ErrNotExist):
			r.logf("stage %s/%s: result stored without its model (%s); running it", stage.Experiment.Name, stage.Name, model)
		}
	}
	r.logf("stage %s/%s (id %s): training the model later experiments start from", stage.Experiment.Name, stage.Name, id)
	return r.runCell(ctx, stage, nil, true, time.Now())
}

// lockFile takes an exclusive lock on path (created if missing), waiting
// while another process holds it; cancelling ctx stops the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := safepath.OpenLock(path)
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}
