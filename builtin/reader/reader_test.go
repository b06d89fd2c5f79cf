package reader

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xlbench/xlbench/plugins"
)

var ctx = context.Background()

func newReader(t testing.TB, params plugins.Params) *Reader {
	t.Helper()
	r := New()
	if _, err := r.Configure(ctx, plugins.ReaderConfig{Seed: 1, Params: params}); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTokenize(t *testing.T) {
	got := tokenize("Paris (1900): 北京 ที่ดี x̃y")
	var texts []string
	var spans [][2]int
	for _, tk := range got {
		texts = append(texts, tk.text)
		spans = append(spans, [2]int{tk.start, tk.end})
	}
	// Han characters alone; a Thai base with its vowel and tone marks; a
	// combining tilde stays inside its word.
	want := []string{"paris", "(", "1900", ")", ":", "北", "京", "ที่", "ดี", "x̃y"}
	if diff := cmp.Diff(want, texts); diff != "" {
		t.Fatalf("tokens (-want +got):\n%s", diff)
	}
	if spans[0] != [2]int{0, 5} || spans[2] != [2]int{7, 11} || spans[7] != [2]int{17, 20} || !got[0].upper || got[2].upper {
		t.Errorf("spans %v, upper %v %v", spans, got[0].upper, got[2].upper)
	}
}

// lossRef is the training loss of one batch from the Go forward pass, in
// float64.
func lossRef(r *Reader, batch []*example) float64 {
	total := 0.0
	for _, ex := range batch {
		s, e := r.logits(ex.q, ex.p, ex.dropQ, ex.dropP)
		side := func(l []float32, gold int) float64 {
			sum := 0.0
			for _, v := range l {
				sum += math.Exp(float64(v))
			}
			return math.Log(sum) - float64(l[gold])
		}
		total += (side(s, ex.start) + side(e, ex.end)) / 2
	}
	return total / float64(len(batch))
}

func toyExamples(n int) []plugins.ReadingExample {
	var out []plugins.ReadingExample
	for i := 0; i < n; i++ {
		year := fmt.Sprint(1800 + i*7%200)
		city := []string{"Lyon", "Porto", "Graz", "Turin", "Gent"}[i%5]
		passage := fmt.Sprintf("The bridge of %s was opened in %s after long work.", city, year)
		out = append(out,
			plugins.ReadingExample{Lang: "en", Question: fmt.Sprintf("When was the bridge of %s opened?", city), Passage: passage,
				AnswerStart: len([]rune(passage)) - len([]rune(year+" after long work.")), Answer: year},
			plugins.ReadingExample{Lang: "en", Question: fmt.Sprintf("Which city has a bridge opened in %s?", year), Passage: passage,
				AnswerStart: len("The bridge of "), Answer: city})
	}
	return out
}

func prepare(r *Reader, exs []plugins.ReadingExample) []*example {
	var out []*example
	for _, ex := range exs {
		q := r.question(ex.Question)
		p := r.passage(ex.Passage, q, r.maxTokens)
		s, e, ok := align(p, ex.AnswerStart, len([]rune(ex.Answer)))
		if !ok {
			panic("unaligned " + ex.Answer)
		}
		out = append(out, &example{q: q, p: p, start: s, end: e})
	}
	return out
}

// TestGraphAgreesAndGradients checks the graph's loss against the Go
// forward pass (which Read uses), then the gradients the hand-written
// scatter gives the embedding rows against central differences of that
// loss.
func TestGraphAgreesAndGradients(t *testing.T) {
	params := plugins.Params{"dim": 4.0, "hidden": 3.0, "buckets": 97.0, "init_scale": 1.0}
	r := newReader(t, params)
	batch := prepare(r, toyExamples(2))[:3]
	// The third example is read without its passage's embeddings, as
	// lexical dropout does.
	batch[2].dropP = true
	// "the bridge of lyon was opened in 1800 …": the year is token 7, the
	// city token 3.
	if batch[0].start != 7 || batch[0].end != 7 || batch[1].start != 3 {
		t.Fatalf("alignment: %d-%d, %d", batch[0].start, batch[0].end, batch[1].start)
	}
	want := lossRef(r, batch)
	loss, err := r.trainBatch(batch) // fills r.rows with the row gradients, then steps
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(loss)-want) > 1e-4 {
		t.Fatalf("graph loss %v, Go forward %v", loss, want)
	}
	// Central differences at the weights before the step: a fresh reader
	// with the same seed.
	ref := newReader(t, params)
	batch = prepare(ref, toyExamples(2))[:3]
	batch[2].dropP = true
	checked := 0
	for s, id := range r.rows.ids {
		g := r.rows.slab[s*4 : (s+1)*4]
		for k := 0; k < 4; k++ {
			const h = 1e-2
			orig := ref.emb[int(id)*4+k]
			ref.emb[int(id)*4+k] = orig + h
			up := lossRef(ref, batch)
			ref.emb[int(id)*4+k] = orig - h
			down := lossRef(ref, batch)
			ref.emb[int(id)*4+k] = orig
			num := (up - down) / (2 * h)
			if math.Abs(num-float64(g[k])) > 2e-3+2e-2*math.Abs(num) {
				t.Errorf("row %d[%d]: scatter %v, numeric %v", id, k, g[k], num)
			}
			checked++
		}
	}
	if checked < 40 {
		t.Errorf("only %d gradient entries checked", checked)
	}
	if cmp.Equal(r.emb, ref.emb) || cmp.Equal(r.m.w, ref.m.w) || cmp.Equal(r.m.a, ref.m.a) || cmp.Equal(r.m.c, ref.m.c) || cmp.Equal(r.m.us, ref.m.us) {
		t.Error("a training step left some weights unchanged")
	}
}

// TestLearnsToyTask trains on toy questions (a year, a city) and reads
// held-out ones.
func TestLearnsToyTask(t *testing.T) {
	r := newReader(t, plugins.Params{"dim": 16.0, "hidden": 16.0, "buckets": 4096.0, "epochs": 30.0, "batch_size": 16.0, "lr": 0.01})
	train := toyExamples(60)
	res, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: train})
	losses := res.Loss
	if err != nil {
		t.Fatal(err)
	}
	if first, last := losses[0], losses[len(losses)-1]; !(last < first/4) {
		t.Errorf("loss fell from %.3f to %.3f only", first, last)
	}
	held := toyExamples(80)[120:]
	var queries []plugins.ReadQuery
	for _, ex := range held {
		queries = append(queries, plugins.ReadQuery{Question: ex.Question, Lang: "en",
			Candidates: []plugins.ReadCandidate{{Text: "Nothing here at all.", Lang: "en"}, {Text: ex.Passage, Lang: "en"}}})
	}
	answers, err := r.Read(ctx, plugins.ReadRequest{Queries: queries})
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, a := range answers {
		if a.Text == held[i].Answer && a.Candidate == 1 && a.Start == held[i].AnswerStart {
			right++
		}
	}
	if right < len(held)*8/10 {
		t.Errorf("%d of %d held-out answers right", right, len(held))
	}
}

// TestFastLogitsAgree: the cached read path gives the logits of the plain
// forward pass.
func TestFastLogitsAgree(t *testing.T) {
	r := newReader(t, plugins.Params{"dim": 8.0, "hidden": 6.0, "buckets": 512.0, "init_scale": 1.0})
	for _, ex := range toyExamples(3) {
		for _, agnostic := range []bool{false, true} {
			q := r.question(ex.Question)
			s, e := r.logits(q, r.passage(ex.Passage, q, maxReadTokens), agnostic, agnostic)
			fs, fe := r.fastLogits(r.cachedQuestion(ex.Question, agnostic), r.cachedPassage(ex.Passage, agnostic))
			for i := range s {
				if math.Abs(float64(s[i]-fs[i])) > 1e-5 || math.Abs(float64(e[i]-fe[i])) > 1e-5 {
					t.Fatalf("agnostic %v, token %d: logits %v %v, cached %v %v", agnostic, i, s[i], e[i], fs[i], fe[i])
				}
			}
		}
	}
}

// TestKeptContextsAreBitIdentical: reading through contextual rows kept
// per question match gives, bit for bit, the logits and answers of
// computing them for every read, and questions that match a passage alike
// (here: questions in another language, or about the same city) share
// them.
func TestKeptContextsAreBitIdentical(t *testing.T) {
	r := newReader(t, plugins.Params{"dim": 8.0, "hidden": 6.0, "buckets": 512.0, "epochs": 2.0})
	if _, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: toyExamples(10)}); err != nil {
		t.Fatal(err)
	}
	exs := toyExamples(10)
	questions := []string{"Wann wurde die Brücke eröffnet?", "¿Cuándo se abrió el puente?", "Когда открыли мост?"}
	for _, ex := range exs {
		questions = append(questions, ex.Question)
	}
	var queries []plugins.ReadQuery
	for _, q := range questions {
		var cands []plugins.ReadCandidate
		for _, ex := range exs[:6] {
			cands = append(cands, plugins.ReadCandidate{Text: ex.Passage, Lang: "en"})
		}
		queries = append(queries, plugins.ReadQuery{Question: q, Lang: "en", Candidates: cands})
	}
	bits := func(xs []float32) []uint32 {
		out := make([]uint32, len(xs))
		for i, x := range xs {
			out[i] = math.Float32bits(x)
		}
		return out
	}
	// budget 0: the default; 400 floats: about six passages' rows, so that
	// generations are dropped while reading.
	for _, budget := range []int{0, 400} {
		for _, agnostic := range []bool{false, true} {
			r.resetCache()
			if budget > 0 {
				r.cache.budget = budget
			}
			drops := 0
			for _, qr := range queries {
				cq := r.cachedQuestion(qr.Question, agnostic)
				for _, c := range qr.Candidates {
					cp := r.cachedPassage(c.Text, agnostic)
					s, e := r.fastLogits(cq, cp)
					young := len(r.cache.young)
					ks, ke := r.readLogits(cq, cp)
					if len(r.cache.young) < young {
						drops++
					}
					if diff := cmp.Diff([][]uint32{bits(s), bits(e)}, [][]uint32{bits(ks), bits(ke)}); diff != "" {
						t.Fatalf("budget %d, agnostic %v, %q on %q: kept rows change the logits (-computed +kept):\n%s", budget, agnostic, qr.Question, c.Text, diff)
					}
					if r.cache.youngFloats > r.cache.budget/2 {
						t.Fatalf("budget %d: the young generation holds %d floats", budget, r.cache.youngFloats)
					}
				}
			}
			if r.cache.hits == 0 || r.cache.misses == 0 {
				t.Errorf("budget %d, agnostic %v: %d reads found their rows kept, %d computed them; want both", budget, agnostic, r.cache.hits, r.cache.misses)
			}
			if (budget > 0) != (drops > 0) {
				t.Errorf("budget %d, agnostic %v: the young generation was dropped %d times", budget, agnostic, drops)
			}
		}
	}
	// Whole answers: a reader that keeps rows, and one emptied before each
	// question, which computes every read.
	r.resetCache()
	kept, err := r.Read(ctx, plugins.ReadRequest{Queries: queries})
	if err != nil {
		t.Fatal(err)
	}
	for i, qr := range queries {
		r.resetCache()
		fresh, err := r.Read(ctx, plugins.ReadRequest{Queries: []plugins.ReadQuery{qr}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fresh[0], kept[i]); diff != "" {
			t.Errorf("%q: answer with kept rows differs (-fresh +kept):\n%s", qr.Question, diff)
		}
	}
}

// TestConcurrentReadsAgree: Read calls made at once (the harness sends
// every cell's reads as they come) answer as one call alone does, however
// they interleave on the shared caches.
func TestConcurrentReadsAgree(t *testing.T) {
	r := newReader(t, plugins.Params{"dim": 8.0, "hidden": 6.0, "buckets": 512.0, "epochs": 2.0})
	if _, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: toyExamples(10)}); err != nil {
		t.Fatal(err)
	}
	var queries []plugins.ReadQuery
	for _, ex := range toyExamples(12) {
		for _, p := range toyExamples(12)[:8] {
			queries = append(queries, plugins.ReadQuery{Question: ex.Question, Lang: "en",
				Candidates: []plugins.ReadCandidate{{Text: p.Passage, Lang: "en"}}})
		}
	}
	alone, err := r.Read(ctx, plugins.ReadRequest{Queries: queries})
	if err != nil {
		t.Fatal(err)
	}
	r.resetCache()
	got := make([][]plugins.Answer, 4)
	var wg sync.WaitGroup
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each caller reads every query, starting at its own place.
			shifted := append(slices.Clone(queries[g*len(queries)/4:]), queries[:g*len(queries)/4]...)
			a, err := r.Read(ctx, plugins.ReadRequest{Queries: shifted})
			if err != nil {
				t.Error(err)
				return
			}
			got[g] = append(slices.Clone(a[len(a)-g*len(queries)/4:]), a[:len(a)-g*len(queries)/4]...)
		}()
	}
	wg.Wait()
	for g, a := range got {
		if diff := cmp.Diff(alone, a); diff != "" {
			t.Fatalf("caller %d of 4 at once: answers differ from one call alone (-alone +together):\n%s", g, diff)
		}
	}
}

// TestCheckpointRoundTrip: a saved reader loads and reads the same.
func TestCheckpointRoundTrip(t *testing.T) {
	params := plugins.Params{"dim": 8.0, "hidden": 6.0, "buckets": 512.0, "epochs": 2.0}
	r := newReader(t, params)
	if _, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: toyExamples(10)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "reader.ckpt")
	if err := r.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	params["checkpoint"] = path
	l := New()
	if _, err := l.Configure(ctx, plugins.ReaderConfig{Seed: 99, Params: params}); err != nil {
		t.Fatal(err)
	}
	q := []plugins.ReadQuery{{Question: "When was the bridge of Graz opened?", Lang: "en",
		Candidates: []plugins.ReadCandidate{{Text: "The bridge of Graz was opened in 1921 after long work.", Lang: "en"}}}}
	want, _ := r.Read(ctx, plugins.ReadRequest{Queries: q})
	got, _ := l.Read(ctx, plugins.ReadRequest{Queries: q})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("loaded reader reads differently:\n%s", diff)
	}
	params["dim"] = 16.0
	if _, err := New().Configure(ctx, plugins.ReaderConfig{Params: params}); err == nil {
		t.Fatal("a checkpoint of another shape loaded")
	}
}

// TestAgnosticUnseenLanguages: a reader trained on English reads a
// language it saw no example in without embeddings — the same answer
// whatever those (untrained) embedding rows hold — and keeps its training
// languages through a checkpoint.
func TestAgnosticUnseenLanguages(t *testing.T) {
	params := plugins.Params{"dim": 8.0, "hidden": 6.0, "buckets": 512.0, "epochs": 2.0}
	r := newReader(t, params)
	if _, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: toyExamples(10)}); err != nil {
		t.Fatal(err)
	}
	if r.agnostic(r.pLangs, "en") || !r.agnostic(r.pLangs, "el") || !r.agnostic(r.qLangs, "el") {
		t.Fatalf("agnostic en %v, el %v", r.agnostic(r.pLangs, "en"), r.agnostic(r.pLangs, "el"))
	}
	q := []plugins.ReadQuery{{Question: "Πότε άνοιξε η γέφυρα;", Lang: "el",
		Candidates: []plugins.ReadCandidate{{Text: "Η γέφυρα άνοιξε το 1921 μετά από πολλή δουλειά.", Lang: "el"}}}}
	before, _ := r.Read(ctx, plugins.ReadRequest{Queries: q})
	for i := range r.emb {
		r.emb[i] *= -3
	}
	r.resetCache()
	after, _ := r.Read(ctx, plugins.ReadRequest{Queries: q})
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("an unseen language's reading depends on its embeddings:\n%s", diff)
	}
	path := filepath.Join(t.TempDir(), "reader.ckpt")
	if err := r.Save(ctx, plugins.SaveRequest{Path: path}); err != nil {
		t.Fatal(err)
	}
	params["checkpoint"] = path
	l := newReader(t, params)
	if diff := cmp.Diff([]map[string]bool{{"en": true}, {"en": true}}, []map[string]bool{l.qLangs, l.pLangs}); diff != "" {
		t.Errorf("languages after loading (-want +got):\n%s", diff)
	}
}

// BenchmarkRead reads 1,000 questions, each from one 30-word candidate, with
// an untrained reader of the default shape: the cost of reading a
// retrieved candidate, which every cell with a reader pays many times.
func BenchmarkRead(b *testing.B) {
	r := newReader(b, plugins.Params{})
	var qs []plugins.ReadQuery
	for i := range 1000 {
		words := make([]string, 30)
		for k := range words {
			words[k] = fmt.Sprintf("w%d", (i*7+k*13)%500)
		}
		qs = append(qs, plugins.ReadQuery{Question: fmt.Sprintf("when was w%d built", i%500), Lang: "en",
			Candidates: []plugins.ReadCandidate{{Text: strings.Join(words, " ") + ".", Lang: "en"}}})
	}
	for b.Loop() {
		r.resetCache()
		if _, err := r.Read(ctx, plugins.ReadRequest{Queries: qs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(qs)), "µs/read")
}

// BenchmarkTrain trains a reader of the default shape for one epoch over
// 3,200 synthetic examples (a 10-word question, a passage of 40 to 110
// words holding the answer): the cost per example of the reader's
// training, which a clean run pays before its first cell reads.
func BenchmarkTrain(b *testing.B) {
	var exs []plugins.ReadingExample
	for i := range 3200 {
		n := 40 + (i*37)%71
		words := make([]string, n)
		for k := range words {
			words[k] = fmt.Sprintf("w%d", (i*7+k*13)%5000)
		}
		at := (i * 11) % (n - 3)
		answer := strings.Join(words[at:at+2], " ")
		passage := strings.Join(words, " ") + "."
		exs = append(exs, plugins.ReadingExample{Question: fmt.Sprintf("when was %s built by w%d w%d", words[at], i%97, i%89),
			Passage: passage, Answer: answer, AnswerStart: len([]rune(strings.Join(words[:at], " "))) + min(at, 1), Lang: "en"})
	}
	for b.Loop() {
		r := newReader(b, plugins.Params{"epochs": 1.0})
		if _, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: exs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(exs))/b.Elapsed().Seconds(), "examples/s")
}

// fastLogits is the reference readLogits is tested against: the cached
// embedding part of each token's pre-activation, the dense features added,
// and the contextual rows computed for every read.
func (r *Reader) fastLogits(cq *cachedQuestion, cp *cachedPassage) (starts, ends []float32) {
	n := len(cp.p.toks)
	return r.contextualLogits(r.preActivations(cp, questionMatch(cp.p.toks, cq.q)), n, cq.u, cq.v)
}
