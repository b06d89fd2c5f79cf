package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/harness/dataset"
	"github.com/xlbench/xlbench/harness/lang"
	"github.com/xlbench/xlbench/harness/metrics"
	"github.com/xlbench/xlbench/harness/results"
	"github.com/xlbench/xlbench/plugins"
)

// lookupEncoder embeds each text as a fixed vector.
type lookupEncoder struct {
	vecs     map[string][]float32
	prepared []string
}

func (l *lookupEncoder) Prepare(_ context.Context, req plugins.PrepareRequest) error {
	l.prepared = append(l.prepared, req.Lang)
	return nil
}

func (l *lookupEncoder) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	texts := req.Texts
	v := plugins.Vectors{Count: len(texts), Dim: 3}
	for _, t := range texts {
		vec, ok := l.vecs[t]
		if !ok {
			panic("no vector for " + t)
		}
		v.Dense = append(v.Dense, vec...)
	}
	return v, nil
}

var (
	e0 = []float32{1, 0, 0}
	e1 = []float32{0, 1, 0}
	e2 = []float32{0, 0, 1}
)

// tinyEncoder gives the tiny fixture vectors chosen to make ties and
// cross-language confusions; testdata/tiny-golden.json holds the values
// they lead to, worked out by hand:
//
//	candidates c0 en Paris e0, c1 en Seine e1, c2 en Berlin e2,
//	           c3 de Paris e1 (confusable with Seine), c4 de Seine e1, c5 de Berlin e2
//	questions  en q1 e0, en q2 e1, en q3 e2, de q1 e1, de q2 e1, de q3 e2
//	tie keys (ids ascending) c3 0, c4 1, c5 2, c0 3, c1 4, c2 5 — higher first
//
// For example de q1 in the multilingual pool scores c1 = c3 = c4 = 1 and
// the rest 0, ranking c1 c4 c3 c2 c0 c5; its relevant c3 and c0 sit at 3 and
// 5: AP = (1/3 + 2/5)/2 = 11/30, rank distance 2.
func tinyEncoder() *lookupEncoder {
	return &lookupEncoder{vecs: map[string][]float32{
		"Paris is the capital of France.":       e0,
		"It lies on the Seine.":                 e1,
		"Berlin is in Germany.":                 e2,
		"Paris ist die Hauptstadt Frankreichs.": e1,
		"Es liegt an der Seine.":                e1,
		"Berlin liegt in Deutschland.":          e2,
		"What is the capital of France?":        e0,
		"Which river runs through Paris?":       e1,
		"Where is Berlin?":                      e2,
		"Was ist die Hauptstadt Frankreichs?":   e1,
		"Welcher Fluss fließt durch Paris?":     e1,
		"Wo liegt Berlin?":                      e2,
	}}
}

func tinyCollection(t *testing.T) *dataset.Collection {
	t.Helper()
	c, err := dataset.LoadLAReQA(&dataset.Store{Dir: "../dataset/testdata"}, "tiny", "tiny", []string{"en", "de"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGoldenTiny(t *testing.T) {
	res, err := Evaluate(context.Background(), tinyEncoder(), plugins.EncoderInfo{Dim: 3}, tinyCollection(t), Options{EncodeBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/tiny-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]json.RawMessage
	json.Unmarshal(raw, &golden)
	for _, s := range Settings {
		var want results.Scores
		json.Unmarshal(golden[string(s)], &want)
		checkMetrics(t, string(s), res[s].Metrics, want)
	}
	var pools map[string]results.Scores
	json.Unmarshal(golden["pools"], &pools)
	for name, want := range pools {
		s, pool, _ := strings.Cut(name, "/")
		checkMetrics(t, name, res[results.Setting(s)].Pools[poolKey(t, pool)].Metrics, want)
	}
	if got := len(res[Cross].Pools); got != 2 {
		t.Errorf("%d cross pools, want 2", got)
	}
}

// poolKey reads a pool key a test names.
func poolKey(t *testing.T, s string) lang.PoolKey {
	t.Helper()
	k, err := lang.ParsePoolKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func checkMetrics(t *testing.T, where string, got, want results.Scores) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok || math.Abs(g-w) > 1e-6 {
			t.Errorf("%s %s = %.6f, want %.6f", where, k, g, w)
		}
	}
}

// TestCollectionStatsPrepared checks that an encoder with collection
// statistics is prepared with each language's candidates and then the pool.
func TestCollectionStatsPrepared(t *testing.T) {
	enc := tinyEncoder()
	res, err := Evaluate(context.Background(), enc, plugins.EncoderInfo{Dim: 3, CollectionStats: true}, tinyCollection(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"en", "de", ""}, enc.prepared); diff != "" {
		t.Errorf("Prepare calls (-want +got):\n%s", diff)
	}
	// Same vectors either way, so the same metrics.
	if math.Abs(res[Multi].Metrics["map"]-151.0/180) > 1e-6 {
		t.Errorf("multi map = %v", res[Multi].Metrics["map"])
	}
}

// hybridEncoder splits the tiny vectors into a dense part (the first two
// components) and a sparse part (the third, as one term), so its scores, the
// sum of the two inner products, are the tiny scores.
type hybridEncoder struct{ *lookupEncoder }

func (h hybridEncoder) Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	v, err := h.lookupEncoder.Encode(ctx, req)
	if err != nil {
		return v, err
	}
	out := plugins.Vectors{Count: v.Count, Dim: 2, Sparse: &plugins.SparseVectors{Offsets: []uint32{0}}}
	for i := 0; i < v.Count; i++ {
		vec := v.Dense[3*i : 3*i+3]
		out.Dense = append(out.Dense, vec[0], vec[1])
		if vec[2] != 0 {
			out.Sparse.Terms = append(out.Sparse.Terms, 7)
			out.Sparse.Weights = append(out.Sparse.Weights, vec[2])
		}
		out.Sparse.Offsets = append(out.Sparse.Offsets, uint32(len(out.Sparse.Terms)))
	}
	return out, nil
}

// TestHybridScoresAddUp checks that hybrid vectors score by the sum of
// their dense and sparse inner products: split across the two parts, the
// tiny vectors give the golden metrics.
func TestHybridScoresAddUp(t *testing.T) {
	raw, err := os.ReadFile("testdata/tiny-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]json.RawMessage
	json.Unmarshal(raw, &golden)
	for _, stats := range []bool{false, true} {
		info := plugins.EncoderInfo{Dim: 2, Sparse: true, CollectionStats: stats}
		res, err := Evaluate(context.Background(), hybridEncoder{tinyEncoder()}, info, tinyCollection(t), Options{EncodeBatch: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range Settings {
			var want results.Scores
			json.Unmarshal(golden[string(s)], &want)
			checkMetrics(t, string(s), res[s].Metrics, want)
		}
	}
}

// mismatchedEncoder gives queries dense vectors and candidates hybrid ones.
type mismatchedEncoder struct{ hybridEncoder }

func (m mismatchedEncoder) Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	if req.Role == plugins.RoleQuery {
		return m.lookupEncoder.Encode(ctx, req)
	}
	return m.hybridEncoder.Encode(ctx, req)
}

func TestMismatchedVectorKindsRejected(t *testing.T) {
	_, err := Evaluate(context.Background(), mismatchedEncoder{hybridEncoder{tinyEncoder()}}, plugins.EncoderInfo{Dim: 2, Sparse: true}, tinyCollection(t), Options{})
	if err == nil || !strings.Contains(err.Error(), "dimension 3, candidate vectors 2") {
		t.Fatalf("err = %v, want a dimension mismatch", err)
	}
}

// TestRelevantRanksMatchesSort checks the one-pass ranking against a full
// sort on random rows with many ties.
func TestRelevantRanksMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		n := 1 + rng.IntN(60)
		if trial%50 == 0 {
			n = 3000 // more candidates than one batch of the vector count holds
		}
		row := make([]float32, n)
		keys := make([]int32, n)
		for i := range row {
			row[i] = float32(rng.IntN(5) - 2) // few values, negative ones too: ties everywhere
			if rng.IntN(7) == 0 {
				row[i] = float32(math.Copysign(0, -1)) // −0 ties +0
			}
			if trial%5 == 0 {
				row[i] += float32(rng.IntN(1000)) / 997 // mostly distinct scores: the vector count's fast path
			}

			keys[i] = int32(i)
		}
		rng.Shuffle(n, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		rel := rng.Perm(n)[:1+rng.IntN(min(n, 14))]
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return outranks(row[order[a]], keys[order[a]], row[order[b]], keys[order[b]]) })
		pos := make([]int, n)
		for r, i := range order {
			pos[i] = r + 1
		}
		got := relevantRanks(row, keys, rel)
		for i, r := range rel {
			if got[i] != pos[r] {
				t.Fatalf("trial %d: rank of %d = %d, want %d", trial, r, got[i], pos[r])
			}
		}
		for _, depth := range []int{0, 1, 5, n} {
			top := topRanking(row, keys, depth)
			want := order
			if depth > 0 && depth < n {
				want = order[:depth]
			}
			for j, r := range top {
				if r.Index != want[j] {
					t.Fatalf("trial %d depth %d: position %d holds %d, want %d", trial, depth, j, r.Index, want[j])
				}
			}
		}
	}
}

// TestTRECRunReproducesMetrics writes full-depth runs and recomputes MAP
// from the files the way trec_eval does: each query's lines sorted by score
// descending, then docno descending; AP over the qrels.
func TestTRECRunReproducesMetrics(t *testing.T) {
	dir := t.TempDir()
	w, err := NewTRECWriter(dir, "tiny", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(context.Background(), tinyEncoder(), plugins.EncoderInfo{Dim: 3}, tinyCollection(t), Options{Sink: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings {
		aps := trecEvalAP(t, filepath.Join(dir, "tiny-"+string(s)+".trec"), filepath.Join(dir, "tiny-"+string(s)+".qrels"))
		if s == Multi {
			mean := 0.0
			for _, ap := range aps {
				mean += ap
			}
			mean /= float64(len(aps))
			if math.Abs(mean-res[Multi].Metrics["map"]) > 1e-9 {
				t.Errorf("multi: MAP from the run %.6f, evaluation %.6f", mean, res[Multi].Metrics["map"])
			}
			continue
		}
		// Mono and cross: average per pool (qid prefix), then over pools.
		pools := map[string][]float64{}
		for qid, ap := range aps {
			p, _, _ := strings.Cut(qid, ":")
			pools[p] = append(pools[p], ap)
		}
		mean := 0.0
		for _, v := range pools {
			m := 0.0
			for _, ap := range v {
				m += ap
			}
			mean += m / float64(len(v))
		}
		mean /= float64(len(pools))
		if math.Abs(mean-res[s].Metrics["map"]) > 1e-9 {
			t.Errorf("%s: MAP from the run %.6f, evaluation %.6f", s, mean, res[s].Metrics["map"])
		}
	}
}

func trecEvalAP(t *testing.T, runFile, qrelsFile string) map[string]float64 {
	t.Helper()
	type line struct {
		doc   string
		score float64
		rank  int
	}
	runs := map[string][]line{}
	for _, f := range readFields(t, runFile) {
		s, _ := strconv.ParseFloat(f[4], 64)
		r, _ := strconv.Atoi(f[3])
		runs[f[0]] = append(runs[f[0]], line{f[2], s, r})
	}
	rel := map[string]map[string]bool{}
	for _, f := range readFields(t, qrelsFile) {
		if rel[f[0]] == nil {
			rel[f[0]] = map[string]bool{}
		}
		rel[f[0]][f[2]] = true
	}
	out := map[string]float64{}
	for qid, ls := range runs {
		sort.Slice(ls, func(a, b int) bool {
			if ls[a].score != ls[b].score {
				return ls[a].score > ls[b].score
			}
			return ls[a].doc > ls[b].doc
		})
		found, sum := 0, 0.0
		for i, l := range ls {
			if l.rank != i+1 {
				t.Fatalf("%s: %s written at rank %d, trec_eval order puts it at %d", qid, l.doc, l.rank, i+1)
			}
			if rel[qid][l.doc] {
				found++
				sum += float64(found) / float64(i+1)
			}
		}
		out[qid] = sum / float64(len(rel[qid]))
	}
	return out
}

func readFields(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, strings.Fields(sc.Text()))
	}
	return out
}

// TestHasAnswerTiny works has-answer@k by hand on the tiny fixture, with en
// q3's gold answer changed to "Paris" so that answer strings and relevance
// part ways. en q3 (vector e2) then has the gold "Paris" in English and
// "Deutschland" in German:
//
//	mono en:  c2 1, then ties c1 c0 → "paris" first in c0, rank 3
//	cross en-de: c5 1 first, "deutschland" → rank 1
//	multi:    c2 c5 (both 1), … → c5 at rank 2
//
// en q1 and q2 find their answer at rank 1 in mono and multi (c0; c1 before
// c4 and c3 by tie key); in en-de, q1 scores 0 everywhere and the tie order
// c5 c4 c3 puts "paris" (c3) third, q2 finds "seine" in c4 first. So
// H@1 = 2/3 in all three pools, H@5 = 1.
func TestHasAnswerTiny(t *testing.T) {
	c := tinyCollection(t)
	for i := range c.Questions {
		if q := &c.Questions[i]; q.Lang == "en" && q.ID == "q3" {
			q.Answers = []string{"Paris"}
		}
	}
	res, err := Evaluate(context.Background(), tinyEncoder(), plugins.EncoderInfo{Dim: 3}, c, Options{Answers: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Pool{res[Mono].Pools[poolKey(t, "en")], res[Cross].Pools[poolKey(t, "en-de")], res[Multi].Pools[poolKey(t, "en")]} {
		checkMetrics(t, p.QueryLang+"-"+p.CandLang, p.Metrics, results.Scores{
			metrics.HasAnswer1: 2.0 / 3, metrics.HasAnswer5: 1, metrics.HasAnswer20: 1})
	}
	if _, ok := res[Mono].Metrics[metrics.HasAnswer10]; !ok {
		t.Error("mono metrics lack has-answer@10")
	}
	plain, _ := Evaluate(context.Background(), tinyEncoder(), plugins.EncoderInfo{Dim: 3}, c, Options{})
	if _, ok := plain[Multi].Metrics[metrics.HasAnswer1]; ok {
		t.Error("has-answer computed without Options.Answers")
	}
}

// firstWord reads the first word of a question's first candidate.
type firstWord struct{ calls int }

func (f *firstWord) Read(_ context.Context, c *dataset.Collection, qs []*dataset.Question, cands [][]int) ([]plugins.Answer, error) {
	f.calls++
	out := make([]plugins.Answer, len(qs))
	for i := range qs {
		out[i] = plugins.Answer{Candidate: 0, Text: strings.Fields(c.Candidates[cands[i][0]].Text)[0]}
	}
	return out, nil
}

// TestReadingTiny works EM and F1 by hand for a reader that answers with
// the first word of the top candidate. Mono en: q1 reads c0 "Paris" (gold
// Paris: 1), q2 c1 "It" (Seine: 0), q3 c2 "Berlin" (Germany: 0). en-de:
// q1's top is c5 "Berlin" (de gold Paris: 0), q2 c4 "Es", q3 c5 "Berlin"
// (Deutschland): all 0. Multi en as mono en: 1/3.
func TestReadingTiny(t *testing.T) {
	r := &firstWord{}
	res, err := Evaluate(context.Background(), tinyEncoder(), plugins.EncoderInfo{Dim: 3}, tinyCollection(t), Options{Reader: r, ReadTopK: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"mono en": 1.0 / 3, "cross en-de": 0, "multi en": 1.0 / 3}
	got := map[string]Pool{"mono en": res[Mono].Pools[poolKey(t, "en")], "cross en-de": res[Cross].Pools[poolKey(t, "en-de")], "multi en": res[Multi].Pools[poolKey(t, "en")]}
	for name, p := range got {
		checkMetrics(t, name, p.Metrics, results.Scores{metrics.EM: want[name], metrics.F1: want[name]})
	}
	if _, ok := res[Cross].Metrics[metrics.F1]; !ok || r.calls != 6 {
		t.Errorf("cross metrics %v; %d reader calls, want one per pool: 6", res[Cross].Metrics, r.calls)
	}
}

// TestBitextRetrieval: a FLORES-style collection is scored as bitext
// retrieval, hand-computed: each sentence against its translations, no
// monolingual setting, and a multilingual pool without the query's own
// language (with it, each query's own sentence would rank first and the
// multilingual mAP would be 0.7241, not 0.9352).
func TestBitextRetrieval(t *testing.T) {
	c, err := dataset.LoadFLORES(&dataset.Store{Dir: "../dataset/testdata"}, "flores", "flores-tiny", []string{"de", "en", "es"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Bitext || len(c.Questions) != 9 || len(c.Candidates) != 9 || len(c.Questions[0].Relevant) != 2 {
		t.Fatalf("collection: bitext %v, %d questions, %d candidates, relevant %v", c.Bitext, len(c.Questions), len(c.Candidates), c.Questions[0].Relevant)
	}
	same := [][]float32{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	enc := &lookupEncoder{vecs: map[string][]float32{
		"A cat sleeps.": same[0], "The sun rises.": same[1], "Rain falls.": same[2],
		"Un gato duerme.": same[0], "El sol sale.": same[1], "La lluvia cae.": same[2],
		// German sentence 2 leans towards sentence 1.
		"Eine Katze schläft.": same[0], "Die Sonne geht auf.": {0.9, 0.1, 0}, "Regen fällt.": same[2],
	}}
	res, err := Evaluate(context.Background(), enc, plugins.EncoderInfo{Dim: 3}, c, Options{Answers: false})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res[Mono]; ok {
		t.Error("a bitext collection has a monolingual setting")
	}
	// de→en and de→es: sentence 2's translation ranks second (AP 1/2);
	// every other cross query finds its translation first.
	checkMetrics(t, "cross", res[Cross].Metrics, results.Scores{metrics.MAP: (4 + 2*(2.5/3)) / 6})
	checkMetrics(t, "de-en", res[Cross].Pools[poolKey(t, "de-en")].Metrics, results.Scores{metrics.MAP: 2.5 / 3})
	// In the multilingual pool the de query of sentence 2 finds its two
	// translations at ranks 3 and 4 (AP (1/3 + 2/4)/2); the rest at 1 and
	// 2. Every query's two translations lie one rank apart.
	checkMetrics(t, "multi", res[Multi].Metrics, results.Scores{metrics.MAP: (8 + (1.0/3+0.5)/2) / 9, metrics.RankDistance: 1})
	if len(res[Multi].PerQuery) != 9 || len(res[Cross].Pools) != 6 {
		t.Errorf("%d multilingual queries, %d cross pools", len(res[Multi].PerQuery), len(res[Cross].Pools))
	}
}
