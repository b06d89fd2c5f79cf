package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xlbench/xlbench/harness/qa"
)

// cmdScoreQA scores a predictions file ({"<question id>": "<answer>"})
// against a SQuAD-layout dataset file and prints the official scripts'
// output, {"exact_match": …, "f1": …}, in percent.
func (a *App) cmdScoreQA(_ context.Context, args []string) error {
	fs := a.flags("score-qa", "-lang LANG DATASET PREDICTIONS")
	lang := fs.String("lang", "", "language of the answers, which picks the normalisation rules: "+strings.Join(qa.Languages, ", "))
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		return errors.New("score-qa takes a dataset file and a predictions file")
	}
	if *lang == "" {
		return errors.New("-lang is required: the answers' language picks the normalisation rules")
	}
	limit, err := a.maxFileBytes()
	if err != nil {
		return err
	}
	s, err := qa.ScoreFiles(files[0], files[1], *lang, limit)
	if err != nil {
		return err
	}
	if s.Answered == 0 && s.Questions > 0 {
		return fmt.Errorf("no prediction in %s answers a question of %s: the ids do not match (wrong file, or wrong dataset?)", files[1], files[0])
	}
	if s.Answered < s.Questions {
		fmt.Fprintf(a.Stderr, "%d of %d questions unanswered; they score 0\n", s.Questions-s.Answered, s.Questions)
	}
	out, _ := json.Marshal(s)
	fmt.Fprintln(a.Stdout, string(out))
	return nil
}
