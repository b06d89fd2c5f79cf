package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzStore writes files (relative path → content) into a fresh data
// directory.
func fuzzStore(t *testing.T, files map[string][]byte) *Store {
	dir := t.TempDir()
	for rel, data := range files {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A small limit, so that the over-long seeds take the limit's path.
	return &Store{Dir: dir, Origin: "fuzz", MaxBytes: fuzzMaxBytes}
}

// fuzzMaxBytes is the data-file limit of the fuzz stores.
const fuzzMaxBytes = 1 << 16

// hostileSeeds adds the shapes of hostile data files: a bomb's payload (a
// run of spaces past the limit), nesting deep enough to exhaust a
// recursive decoder, markup and control characters in text fields, and
// a number too large for any index.
func hostileSeeds(f *testing.F, fields string) {
	f.Add(bytes.Repeat([]byte(" "), 2*fuzzMaxBytes))
	f.Add(append(bytes.Repeat([]byte("["), 100000), bytes.Repeat([]byte("]"), 100000)...))
	f.Add([]byte(strings.ReplaceAll(fields, "TEXT", `<img src=x onerror=alert(1)>\u0000\u202e`)))
	f.Add([]byte(strings.ReplaceAll(fields, "0", "1e308")))
}

func seed(f *testing.F, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

// FuzzLAReQA loads any bytes as a LAReQA language file beside a valid one:
// an error or a collection whose indices hold, never a panic.
func FuzzLAReQA(f *testing.F) {
	seed(f, "testdata/tiny/de.json")
	f.Add([]byte(`{"data": [{"paragraphs": [{"context": "a", "sentences": ["a"], "sentence_breaks": [[0, 1]], "qas": [{"id": "1", "question": "q", "answers": [{"text": "a", "answer_start": 0}]}]}]}]}`))
	hostileSeeds(f, `{"data": [{"paragraphs": [{"context": "TEXT", "sentences": ["TEXT"], "sentence_breaks": [[0, 1]], "qas": [{"id": "TEXT", "question": "TEXT", "answers": [{"text": "TEXT", "answer_start": 0}]}]}]}]}`)
	en, err := os.ReadFile("testdata/tiny/en.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzStore(t, map[string][]byte{"d/en.json": en, "d/de.json": data})
		c, err := LoadLAReQA(s, "d", "d", []string{"en", "de"})
		if err != nil {
			return
		}
		for _, q := range c.Questions {
			for _, r := range q.Relevant {
				if r < 0 || r >= len(c.Candidates) {
					t.Fatalf("question %s: relevant candidate %d of %d", q.ID, r, len(c.Candidates))
				}
			}
		}
	})
}

// FuzzSQuAD loads any bytes as a SQuAD training file.
func FuzzSQuAD(f *testing.F) {
	f.Add([]byte(`{"data": [{"paragraphs": [{"context": "Berlin is big. Paris too.", "qas": [{"id": "1", "question": "What?", "answers": [{"text": "big", "answer_start": 10}]}]}]}]}`))
	f.Add([]byte(`{"data": [{"paragraphs": [{"context": "x", "qas": [{"id": "1", "question": "q", "answers": [{"text": "x", "answer_start": 99}]}]}]}]}`))
	hostileSeeds(f, `{"data": [{"paragraphs": [{"context": "TEXT", "qas": [{"id": "TEXT", "question": "TEXT", "answers": [{"text": "TEXT", "answer_start": 0}]}]}]}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzStore(t, map[string][]byte{"squad.json": data})
		LoadSQuAD(s, "squad", "squad.json", "en")
	})
}

// FuzzMLQA loads any bytes as one MLQA file beside a valid one.
func FuzzMLQA(f *testing.F) {
	seed(f, "testdata/mlqa-tiny/test-context-de-question-de.json")
	hostileSeeds(f, `{"data": [{"paragraphs": [{"context": "TEXT", "qas": [{"id": "TEXT", "question": "TEXT", "answers": [{"text": "TEXT", "answer_start": 0}]}]}]}]}`)
	en, err := os.ReadFile("testdata/mlqa-tiny/test-context-en-question-en.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzStore(t, map[string][]byte{"m/test-context-en-question-en.json": en, "m/test-context-de-question-de.json": data})
		LoadMLQA(s, "m", "m", nil)
	})
}

// FuzzParallel loads any bytes as one language's file of each line-aligned
// parallel format (XNLI, NTREX-128, Tatoeba), the others valid.
func FuzzParallel(f *testing.F) {
	f.Add([]byte("a premise\ta hypothesis\tentailment\n"), []byte("a sentence\n"))
	f.Add([]byte("x\n\n\t\t\n"), []byte("\n\n"))
	f.Fuzz(func(t *testing.T, tsv, lines []byte) {
		files := map[string][]byte{
			"x/dev-en.tsv": []byte("p\th\tl\n"), "x/dev-de.tsv": tsv, "x/test-en.tsv": []byte("p\th\tl\n"), "x/test-de.tsv": []byte("p\th\tl\n"),
			"n/newstest2019-src.eng.txt": []byte("one\n"), "n/newstest2019-ref.deu.txt": lines,
			"t/tatoeba.deu-eng.eng": []byte("one\n"), "t/tatoeba.deu-eng.deu": lines,
		}
		s := fuzzStore(t, files)
		LoadXNLI(s, "x", "x", []string{"en", "de"})
		LoadNTREX(s, "n", "n", []string{"en", "de"})
		LoadTatoeba(s, "t", "t", []string{"en", "de"})
	})
}
