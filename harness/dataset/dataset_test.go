package dataset

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/internal/testenv"
)

func tinyStore(t *testing.T) *Store {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "tiny")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	en, _ := os.ReadFile("testdata/tiny/en.json")
	de, _ := os.ReadFile("testdata/tiny/de.json")
	os.WriteFile(filepath.Join(dir, "en.json"), en, 0o644)
	// German gzipped, to load both forms in one collection.
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	z.Write(de)
	z.Close()
	os.WriteFile(filepath.Join(dir, "de.json.gz"), buf.Bytes(), 0o644)
	return &Store{Dir: root, Origin: "test"}
}

func TestLoadLAReQATiny(t *testing.T) {
	c, err := LoadLAReQA(tinyStore(t), "tiny", "tiny", []string{"en", "de"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cand := range c.Candidates {
		ids = append(ids, cand.ID)
	}
	want := []string{"en:0-0-0", "en:0-0-1", "en:0-1-0", "de:0-0-0", "de:0-0-1", "de:0-1-0"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("candidate ids (-want +got):\n%s", diff)
	}
	// q2's answer "Seine" is in the second sentence in both languages;
	// relevant candidates are listed in language order (en, de).
	rel := map[string][]int{}
	for _, q := range c.Questions {
		rel[q.Lang+":"+q.ID] = q.Relevant
	}
	wantRel := map[string][]int{
		"en:q1": {0, 3}, "en:q2": {1, 4}, "en:q3": {2, 5},
		"de:q1": {0, 3}, "de:q2": {1, 4}, "de:q3": {2, 5},
	}
	if diff := cmp.Diff(wantRel, rel); diff != "" {
		t.Fatalf("relevant candidates (-want +got):\n%s", diff)
	}
	if lo, hi := c.CandidateRange("de"); lo != 3 || hi != 6 {
		t.Errorf("de candidates [%d,%d), want [3,6)", lo, hi)
	}
	if r := c.RelevantIn(&c.Questions[0], "de"); r != 3 {
		t.Errorf("RelevantIn(q1, de) = %d, want 3", r)
	}
	if c.Candidates[4].Context != "Paris ist die Hauptstadt Frankreichs. Es liegt an der Seine." {
		t.Errorf("context = %q", c.Candidates[4].Context)
	}
}

func TestBrokenFilesNameFileAndRecord(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"syntax", "{\"data\": [\n  {\"paragraphs\": [}]}", []string{"en.json", "line 2, column 18: invalid JSON: invalid character '}'"}},
		{"type", `{"data": [{"paragraphs": "x"}]}`, []string{"en.json", "line 1, column 28: invalid JSON: field paragraphs: cannot hold a JSON string"}},
		{"type in a later article", "{\"version\": \"1\",\n \"data\": [{\"paragraphs\": []},\n {\"paragraphs\": 7}]}", []string{"line 3, column 17: invalid JSON: field paragraphs: cannot hold a JSON number"}},
		{"syntax in a skipped field", "{\"v\": [1, 2, }", []string{"line 1, column 13: invalid JSON"}},
		{"trailing data", `{"data": [{"paragraphs": []}]} x`, []string{"line 1, column 31: invalid JSON"}},
		{"not an object", `[1]`, []string{`line 1, column 0: invalid JSON: "[" where "{" belongs`}},
		{"cut short", `{"data": [{"paragraphs": []}]`, []string{"en.json: invalid JSON: unexpected end of JSON input"}},
		{"answer outside sentences", `{"data": [{"paragraphs": [{"context": "ab cd", "sentences": ["ab"], "sentence_breaks": [[0,2]],
			"qas": [{"id": "x1", "question": "?", "answers": [{"answer_start": 3, "text": "cd"}]}]}]}]}`,
			[]string{"en.json", `data[0].paragraphs[0].qas[0] (id "x1")`, "answer_start 3"}},
		{"break outside context", `{"data": [{"paragraphs": [{"context": "ab", "sentences": ["ab"], "sentence_breaks": [[0,9]], "qas": []}]}]}`,
			[]string{"en.json", "data[0].paragraphs[0].sentence_breaks[0]"}},
		{"count mismatch", `{"data": [{"paragraphs": [{"context": "ab", "sentences": ["ab", "c"], "sentence_breaks": [[0,2]], "qas": []}]}]}`,
			[]string{"en.json", "data[0].paragraphs[0]: 2 sentences but 1 sentence_breaks"}},
		{"duplicate id", `{"data": [{"paragraphs": [{"context": "ab", "sentences": ["ab"], "sentence_breaks": [[0,2]],
			"qas": [{"id": "d", "question": "?", "answers": [{"answer_start": 0, "text": "a"}]}, {"id": "d", "question": "?", "answers": [{"answer_start": 0, "text": "a"}]}]}]}]}`,
			[]string{`qas[1] (id "d")`, "also used at"}},
		{"empty", `{"data": []}`, []string{"en.json", "no records"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			os.MkdirAll(filepath.Join(root, "d"), 0o755)
			os.WriteFile(filepath.Join(root, "d", "en.json"), []byte(tc.content), 0o644)
			_, err := LoadLAReQA(&Store{Dir: root}, "d", "d", []string{"en"})
			if err == nil {
				t.Fatal("loaded a broken file")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMissingFileSaysWhere(t *testing.T) {
	_, err := LoadLAReQA(&Store{Dir: t.TempDir(), Origin: "-data flag", Sources: CanonicalSources()}, "x", "xquad-r", []string{"en"})
	if err == nil || !strings.Contains(err.Error(), "xquad-r/en.json not found") || !strings.Contains(err.Error(), "xlbench fetch") {
		t.Fatalf("err = %v", err)
	}
}

func TestDownloadChecksSHA256(t *testing.T) {
	body, _ := os.ReadFile("testdata/tiny/en.json")
	sum := sha256.Sum256(body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	defer srv.Close()

	good := &Store{Dir: t.TempDir(), Download: true, Client: srv.Client(),
		Sources: map[string]Source{"tiny/en.json": {URL: srv.URL + "/en.json", SHA256: hex.EncodeToString(sum[:])}}}
	c, err := LoadLAReQA(good, "tiny", "tiny", []string{"en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Questions) != 3 {
		t.Fatalf("%d questions", len(c.Questions))
	}
	if !good.Exists("tiny/en.json") {
		t.Fatal("download not kept in the cache")
	}

	bad := &Store{Dir: t.TempDir(), Download: true, Client: srv.Client(),
		Sources: map[string]Source{"tiny/en.json": {URL: srv.URL + "/en.json", SHA256: strings.Repeat("0", 64)}}}
	_, err = LoadLAReQA(bad, "tiny", "tiny", []string{"en"})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("err = %v, want a sha256 mismatch", err)
	}
	if bad.Exists("tiny/en.json") {
		t.Fatal("a file that failed its checksum was kept")
	}
}

func TestResolveOrder(t *testing.T) {
	flag, env := t.TempDir(), t.TempDir()
	s, err := Resolve(Location{Flag: flag, EnvDir: env})
	if err != nil || s.Dir != flag {
		t.Fatalf("flag: %v %v", s, err)
	}
	s, err = Resolve(Location{EnvDir: env})
	if err != nil || s.Dir != env {
		t.Fatalf("env: %v %v", s, err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Chdir(t.TempDir()) // no ../shared/data here
	s, err = Resolve(Location{})
	if err != nil || !s.Download || !strings.HasSuffix(s.Dir, filepath.Join("xlbench", "data")) {
		t.Fatalf("cache: %+v %v", s, err)
	}
	if _, err := Resolve(Location{Flag: filepath.Join(flag, "missing")}); err == nil {
		t.Fatal("a missing -data directory was accepted")
	}
	if s, err := Resolve(Location{Flag: flag, EnvMaxFile: "1000"}); err != nil || s.MaxBytes != 1000 {
		t.Fatalf("max file: %+v %v", s, err)
	}
	if _, err := Resolve(Location{Flag: flag, EnvMaxFile: "-3"}); err == nil || !strings.Contains(err.Error(), MaxFileEnv) {
		t.Fatalf("a bad $%s: %v", MaxFileEnv, err)
	}
}

// TestXQuADRShared loads the real XQuAD-R and checks the counts its README gives.
func TestXQuADRShared(t *testing.T) {
	dir := testenv.SharedData(t)
	c, err := LoadLAReQA(&Store{Dir: dir}, "xquad-r", "xquad-r", XQuADRLanguages)
	if err != nil {
		t.Fatal(err)
	}
	wantCands := map[string]int{"ar": 1222, "de": 1276, "el": 1234, "en": 1180, "es": 1215, "hi": 1244,
		"ru": 1219, "th": 852, "tr": 1167, "vi": 1209, "zh": 1196}
	total := 0
	for lang, n := range wantCands {
		lo, hi := c.CandidateRange(lang)
		if hi-lo != n {
			t.Errorf("%s: %d candidates, want %d", lang, hi-lo, n)
		}
		qlo, qhi := c.QuestionRange(lang)
		if qhi-qlo != 1190 {
			t.Errorf("%s: %d questions, want 1190", lang, qhi-qlo)
		}
		total += n
	}
	if len(c.Candidates) != total || len(c.Questions) != 13090 {
		t.Errorf("%d candidates, %d questions", len(c.Candidates), len(c.Questions))
	}
	for _, q := range c.Questions {
		if len(q.Relevant) != 11 {
			t.Fatalf("question %s/%s has %d relevant candidates, want 11", q.Lang, q.ID, len(q.Relevant))
		}
	}
	// The sha256 pins of the canonical sources match the shared files.
	checkPinned(t, dir, "xquad-r", xquadRSHA256)
}

// checkPinned checks the shared files of folder against their pinned
// sha256 (of the plain JSON, as served).
func checkPinned(t *testing.T, dir, folder string, sums map[string]string) {
	t.Helper()
	for lang, want := range sums {
		rc, _, err := (&Store{Dir: dir}).Open(folder + "/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%s/%s: sha256 %s, pinned %s", folder, lang, got, want)
		}
	}
}

// TestMLQARShared checks MLQA-R as loaded against its README: questions and
// candidates per language, 2 to 4 relevant candidates per question (a
// question's translations exist in some languages only), and the pinned
// checksums.
func TestMLQARShared(t *testing.T) {
	dir := testenv.SharedData(t)
	c, err := LoadLAReQA(&Store{Dir: dir}, "mlqa-r", "mlqa-r", MLQARLanguages)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]int{"ar": {517, 2545}, "de": {512, 2362}, "en": {1148, 6264}, "es": {500, 1787},
		"hi": {507, 2426}, "vi": {511, 2828}, "zh": {504, 2322}}
	for lang, w := range want {
		qlo, qhi := c.QuestionRange(lang)
		lo, hi := c.CandidateRange(lang)
		if qhi-qlo != w[0] || hi-lo != w[1] {
			t.Errorf("%s: %d questions, %d candidates; want %d, %d", lang, qhi-qlo, hi-lo, w[0], w[1])
		}
	}
	hist := map[int]int{}
	for _, q := range c.Questions {
		hist[len(q.Relevant)]++
		langs := map[string]bool{}
		for _, r := range q.Relevant {
			langs[c.Candidates[r].Lang] = true
		}
		if !langs[q.Lang] || len(langs) != len(q.Relevant) {
			t.Fatalf("question %s/%s: relevant candidates in %v, want one per language, its own included", q.Lang, q.ID, langs)
		}
	}
	for n := range hist {
		if n < 2 || n > 4 {
			t.Errorf("relevant candidates per question: %v, want 2 to 4", hist)
			break
		}
	}
	checkPinned(t, dir, "mlqa-r", mlqaRSHA256)
	t.Logf("relevant candidates per question: %v", hist)
}

// TestCanonicalSumsShared: the pinned sha256 of every canonical source is
// that of the file in the shared data directory, so a download into the
// cache gives the same bytes the shared data holds.
func TestCanonicalSumsShared(t *testing.T) {
	s := &Store{Dir: testenv.SharedData(t)}
	n := 0
	for rel, src := range CanonicalSources() {
		rc, file, err := s.Open(rel)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != src.SHA256 {
			t.Errorf("%s: sha256 %s, pinned %s", file, got, src.SHA256)
		}
		n++
	}
	if n != 11+7+11+20+22+11 {
		t.Errorf("%d canonical sources", n)
	}
}
