package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/internal/testenv"
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
