package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/internal/testenv"
	"github.com/xlbench/xlbench/plugins"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMLQAJoinsOnID(t *testing.T) {
	root := t.TempDir()
	// Two files share id "a": German context with Arabic and Spanish questions.
	writeFile(t, filepath.Join(root, "m", "test-context-de-question-ar.json"), `{"data": [{"paragraphs": [
		{"context": "Berlin ist groß. Hesse lernte 1894 Mechaniker.", "qas": [
			{"id": "a", "question": "متى؟", "answers": [{"answer_start": 30, "text": "1894"}]}]}]}]}`)
	writeFile(t, filepath.Join(root, "m", "test-context-de-question-es.json"), `{"data": [{"paragraphs": [
		{"context": "Berlin ist groß. Hesse lernte 1894 Mechaniker.", "qas": [
			{"id": "a", "question": "¿Cuándo?", "answers": [{"answer_start": 30, "text": "1894"}]},
			{"id": "b", "question": "¿Qué ciudad?", "answers": [{"answer_start": 0, "text": "Berlin"}]},
			{"id": "c", "question": "¿Qué?", "answers": [{"answer_start": 11, "text": "groß. Hesse"}]}]}]}]}`)
	writeFile(t, filepath.Join(root, "m", "test-context-es-question-ar.json"), `{"data": [{"paragraphs": [
		{"context": "Madrid es grande. Hesse aprendió en 1894.", "qas": [
			{"id": "a", "question": "متى؟", "answers": [{"answer_start": 36, "text": "1894"}]}]}]}]}`)
	c, err := LoadMLQA(&Store{Dir: root}, "m", "m", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Answers start where the answer sits in the sentence, in runes:
	// "Hesse lernte " is 13, "Hesse aprendió en " 18. Group c's answer runs
	// past its sentence, so it has none.
	want := []TrainGroup{
		{Key: "a", Queries: map[string]string{"ar": "متى؟", "es": "¿Cuándo?"},
			Passages: map[string]string{"de": "Hesse lernte 1894 Mechaniker.", "es": "Hesse aprendió en 1894."},
			Answers:  map[string]Answer{"de": {"1894", 13}, "es": {"1894", 18}}},
		{Key: "b", Queries: map[string]string{"es": "¿Qué ciudad?"}, Passages: map[string]string{"de": "Berlin ist groß."},
			Answers: map[string]Answer{"de": {"Berlin", 0}}},
		{Key: "c", Queries: map[string]string{"es": "¿Qué?"}, Passages: map[string]string{"de": "Berlin ist groß."},
			Answers: map[string]Answer{}},
	}
	if diff := cmp.Diff(want, c.Groups); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	only, err := LoadMLQA(&Store{Dir: root}, "m", "m", []string{"de", "es"})
	if err != nil || len(only.Groups) != 3 || only.Groups[0].Queries["ar"] != "" {
		t.Errorf("language filter: %+v %v", only, err)
	}
}

func TestSQuADBadAnswer(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "s", "train.json"), `{"data": [{"paragraphs": [{"context": "abc", "qas": [
		{"id": "x", "question": "?", "answers": [{"answer_start": 9, "text": "z"}]}]}]}]}`)
	_, err := LoadSQuAD(&Store{Dir: root}, "s", "s/train.json", "en")
	if err == nil || !strings.Contains(err.Error(), `data[0].paragraphs[0].qas[0] (id "x"): answer_start 9`) {
		t.Fatalf("err = %v", err)
	}
}

// TestTrainingCorporaShared loads the real training data and checks the
// counts its README gives.
func TestTrainingCorporaShared(t *testing.T) {
	s := &Store{Dir: testenv.SharedData(t)}
	m, err := LoadMLQA(s, "mlqa", "mlqa-v1/test-partial", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Groups) != 10396 {
		t.Errorf("%d MLQA groups, want 10396", len(m.Groups))
	}
	q, p := m.LangCounts()
	wantQ := map[string]int{"ar": 4252, "de": 3821, "es": 4424, "hi": 4594, "vi": 4365, "zh": 4217}
	wantP := map[string]int{"de": 4414, "es": 5156, "vi": 5084, "zh": 5011}
	if diff := cmp.Diff(wantQ, q); diff != "" {
		t.Errorf("questions per language (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantP, p); diff != "" {
		t.Errorf("passages per language (-want +got):\n%s", diff)
	}
	sq, err := LoadSQuAD(s, "squad", "squad-v1.1-train-en/train-v1.1.json", "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(sq.Groups) != 87599 {
		t.Errorf("%d SQuAD groups, want 87599", len(sq.Groups))
	}
}

// TestParallelFormats loads the tiny line-aligned fixtures of each
// parallel-sentence format as translation groups.
func TestParallelFormats(t *testing.T) {
	s := &Store{Dir: "testdata/parallel-tiny"}
	load := func(format, dir string, langs ...string) *TrainCorpus {
		t.Helper()
		f, ok := LookupFormat(format)
		if !ok || f.Role != RoleTrain {
			t.Fatalf("format %s: %+v", format, f)
		}
		c, err := f.LoadTrain(s, Decl{Name: format, Path: dir, Languages: langs})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range c.Groups {
			if g.Kind != plugins.GroupTranslation || !cmp.Equal(g.Queries, g.Passages) || len(g.Answers) != 0 {
				t.Fatalf("%s group %s is not a translation group: %+v", format, g.Key, g)
			}
		}
		return c
	}
	// dev: premise P1 repeated on two lines is one group; P2; three
	// hypotheses. test: P3 and H3.
	x := load("xnli", "xnli", "de", "en")
	var keys []string
	for _, g := range x.Groups {
		keys = append(keys, g.Key)
	}
	want := []string{"xnli:dev:1:premise", "xnli:dev:1:hypothesis", "xnli:dev:2:hypothesis", "xnli:dev:3:premise", "xnli:dev:3:hypothesis",
		"xnli:test:1:premise", "xnli:test:1:hypothesis"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("xnli groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"de": "H1b de", "en": "H1b en"}, x.Groups[2].Queries); diff != "" {
		t.Errorf("xnli hypothesis (-want +got):\n%s", diff)
	}
	if n := load("xnli", "xnli"); len(n.Groups) != 7 || len(n.Groups[0].Queries) != 11 {
		t.Errorf("all languages: %d groups of %d languages", len(n.Groups), len(n.Groups[0].Queries))
	}
	nt := load("ntrex", "ntrex")
	if len(nt.Groups) != 2 || nt.Groups[1].Queries["zh"] != "news two newstest2019-ref.zho-CN" || nt.Groups[0].Queries["en"] != "news one newstest2019-src.eng" {
		t.Errorf("ntrex: %+v", nt.Groups)
	}
	tb := load("tatoeba", "tatoeba", "de", "el", "en")
	if len(tb.Groups) != 3 || !cmp.Equal(tb.Groups[2].Queries, map[string]string{"el": "Γεια.", "en": "Hi."}) {
		t.Errorf("tatoeba: %+v", tb.Groups)
	}
	for _, f := range []string{"xnli/dev-de.tsv", "ntrex/newstest2019-ref.deu.txt", "tatoeba/tatoeba.deu-eng.deu", "tatoeba/tatoeba.ell-eng.eng"} {
		format, _ := LookupFormat(strings.Split(f, "/")[0])
		if !format.DataFile("parallel-tiny/"+f) || !format.DataFile("parallel-tiny/"+f+".gz") {
			t.Errorf("%s is not a data file of its format", f)
		}
	}
	if lareqa, _ := LookupFormat("lareqa"); lareqa.DataFile("xnli/dev-de.tsv") {
		t.Error("a TSV file counts as LAReQA data")
	}
}

// TestParallelFormatErrors: misaligned and empty records name the file
// and line.
func TestParallelFormatErrors(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "n", "newstest2019-src.eng.txt"), "a\nb\n")
	writeFile(t, filepath.Join(root, "n", "newstest2019-ref.deu.txt"), "a\n")
	_, err := LoadNTREX(&Store{Dir: root}, "n", "n", []string{"de", "en"})
	if err == nil || !strings.Contains(err.Error(), "has 2 lines, but") || !strings.Contains(err.Error(), "newstest2019-ref.deu.txt has 1") {
		t.Errorf("misaligned: %v", err)
	}
	writeFile(t, filepath.Join(root, "x", "dev-en.tsv"), "p\th\n\tonly\n")
	writeFile(t, filepath.Join(root, "x", "dev-de.tsv"), "p\th\np\th\n")
	_, err = LoadXNLI(&Store{Dir: root}, "x", "x", []string{"en", "de"})
	if err == nil || !strings.Contains(err.Error(), "dev-en.tsv: line 2: empty text") {
		t.Errorf("empty premise: %v", err)
	}
	if _, err := LoadTatoeba(&Store{Dir: root}, "t", "t", []string{"de"}); err == nil || !strings.Contains(err.Error(), "must include en") {
		t.Errorf("tatoeba without en: %v", err)
	}
	if _, err := LoadNTREX(&Store{Dir: root}, "n", "n", []string{"xx"}); err == nil || !strings.Contains(err.Error(), `no language "xx"`) {
		t.Errorf("unknown language: %v", err)
	}
}

// TestParallelCorporaShared loads the real parallel-sentence data and
// checks the counts its READMEs give.
func TestParallelCorporaShared(t *testing.T) {
	s := &Store{Dir: testenv.SharedData(t)}
	for _, tc := range []struct {
		format, dir string
		groups      int
		langs       int
	}{
		// 2,500 premises and 7,500 hypotheses, 11-way.
		{"xnli", "xnli", 10000, 11},
		{"ntrex", "ntrex-128", 1997, 11},
		// 1,000 pairs for each of 10 languages with English, 548 for th.
		{"tatoeba", "tatoeba", 9548, 2},
	} {
		f, _ := LookupFormat(tc.format)
		c, err := f.LoadTrain(s, Decl{Name: tc.format, Path: tc.dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Groups) != tc.groups || len(c.Groups[0].Queries) != tc.langs {
			t.Errorf("%s: %d groups of %d languages, want %d of %d", tc.format, len(c.Groups), len(c.Groups[0].Queries), tc.groups, tc.langs)
		}
	}
}
