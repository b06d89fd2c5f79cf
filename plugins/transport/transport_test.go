package transport_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-plugin"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
	"github.com/xlbench/xlbench/plugins/transport"
)

// connect serves impls over an in-process gRPC connection and returns the
// dispensed client.
func connect(t *testing.T, set plugin.PluginSet, kind plugins.Kind) any {
	t.Helper()
	// go-plugin's test connection listens on a unix socket in the temporary
	// folder and leaves it there when multiplexed: give it the test's own.
	t.Setenv("TMPDIR", t.TempDir())
	client, _ := plugin.TestPluginGRPCConn(t, true, set)
	// Closing the client asks the server to stop (the controller's
	// Shutdown, which stops it before answering); stopping it here as well
	// raced with that stop inside go-plugin (go test -race).
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(string(kind))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestSamplerRoundTrip(t *testing.T) {
	gotSteps := -1
	def := sdk.SamplerDef{
		Info: plugins.Info{Name: "echo", Version: "1", Params: []plugins.ParamSpec{
			{Name: "lang", Type: plugins.ParamString, Default: "de", OneOf: []string{"de", "en"}},
			{Name: "weights", Type: plugins.ParamNumberList, Default: []float64{1, 2}},
		}},
		New: func(cfg plugins.SamplerConfig) (sdk.BatchFunc, error) {
			gotSteps = cfg.Steps
			lang := cfg.Params.String("lang")
			i := 0
			return func() (plugins.Batch, error) {
				b := plugins.Batch{}
				for range cfg.BatchSize {
					g := cfg.Corpus.Groups[i%len(cfg.Corpus.Groups)]
					b = append(b, plugins.Pair{Group: g.ID, QueryLang: lang, PassageLang: g.PassageLangs[0]})
					i++
				}
				return b, nil
			}, nil
		},
	}
	s := connect(t, plugin.PluginSet{"sampler": &transport.SamplerPlugin{Impl: sdk.NewSampler(def)}}, plugins.KindSampler).(plugins.Sampler)
	ctx := context.Background()
	info, err := s.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(def.Info, info); diff != "" {
		t.Errorf("Info over the wire (-want +got):\n%s", diff)
	}
	if _, err := s.Next(ctx, plugins.NextRequest{Count: 1}); err == nil {
		t.Error("Next before Start succeeded")
	}
	corpus := plugins.CorpusSummary{Groups: []plugins.Group{
		{ID: 7, QueryLangs: []string{"de", "en"}, PassageLangs: []string{"en"}},
		{ID: 9, QueryLangs: []string{"de"}, PassageLangs: []string{"de"}},
	}}
	if err := s.Start(ctx, plugins.SamplerConfig{Corpus: corpus, BatchSize: 3, Seed: 5, Steps: 1234}); err != nil {
		t.Fatal(err)
	}
	if gotSteps != 1234 {
		t.Errorf("the sampler was told %d steps, want the 1234 the host sent", gotSteps)
	}
	got, err := s.Next(ctx, plugins.NextRequest{Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.Batch{
		{{Group: 7, QueryLang: "de", PassageLang: "en"}, {Group: 9, QueryLang: "de", PassageLang: "de"}, {Group: 7, QueryLang: "de", PassageLang: "en"}},
		{{Group: 9, QueryLang: "de", PassageLang: "de"}, {Group: 7, QueryLang: "de", PassageLang: "en"}, {Group: 9, QueryLang: "de", PassageLang: "de"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches (-want +got):\n%s", diff)
	}
	// Params are checked on the plugin side too.
	err = s.Start(ctx, plugins.SamplerConfig{Corpus: corpus, BatchSize: 3, Params: plugins.Params{"lang": "fr"}})
	if err == nil || !strings.Contains(err.Error(), `"fr" is not one of de, en`) {
		t.Errorf("bad param: err = %v", err)
	}
}

// fakeEncoder records what it is sent.
type fakeEncoder struct {
	corpus  []plugins.CorpusGroup
	batches []plugins.Batch
	sparse  bool
	hybrid  bool
}

func (f *fakeEncoder) Describe(context.Context) (plugins.Info, error) {
	return plugins.Info{Name: "fake", Version: "2", Trainable: true}, nil
}
func (f *fakeEncoder) Configure(_ context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	if cfg.Seed != 42 {
		return plugins.EncoderInfo{}, fmt.Errorf("seed %d", cfg.Seed)
	}
	return plugins.EncoderInfo{Dim: 2}, nil
}
func (f *fakeEncoder) LoadCorpus(_ context.Context, req plugins.LoadCorpusRequest) error {
	f.corpus = append(f.corpus, req.Groups...)
	return nil
}

// TrainStep's loss is half the batch size; pair i's loss is i.
func (f *fakeEncoder) TrainStep(_ context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	b := req.Batch
	if b[0].Group == 666 {
		return plugins.TrainStepResult{}, fmt.Errorf("cannot train on group 666")
	}
	f.batches = append(f.batches, b)
	r := plugins.TrainStepResult{Loss: float64(len(b)) / 2}
	for i := range b {
		r.PairLoss = append(r.PairLoss, float64(i))
	}
	return r, nil
}
func (f *fakeEncoder) Prepare(context.Context, plugins.PrepareRequest) error { return nil }
func (f *fakeEncoder) Save(_ context.Context, req plugins.SaveRequest) error {
	if req.Path == "" {
		return fmt.Errorf("no path")
	}
	return nil
}
func (f *fakeEncoder) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	role, texts := req.Role, req.Texts
	if f.sparse {
		sv := &plugins.SparseVectors{Offsets: []uint32{0}}
		for i := range texts {
			sv.Terms = append(sv.Terms, uint64(i), 1<<60)
			sv.Weights = append(sv.Weights, float32(i), 0.5)
			sv.Offsets = append(sv.Offsets, uint32(len(sv.Terms)))
		}
		v := plugins.Vectors{Count: len(texts), Sparse: sv}
		if f.hybrid {
			v.Dim = 1
			for _, t := range texts {
				v.Dense = append(v.Dense, float32(len(t)))
			}
		}
		return v, nil
	}
	v := plugins.Vectors{Count: len(texts), Dim: 2}
	for _, t := range texts {
		v.Dense = append(v.Dense, float32(len(t)), float32(role))
	}
	return v, nil
}

func TestEncoderRoundTrip(t *testing.T) {
	impl := &fakeEncoder{}
	e := connect(t, plugin.PluginSet{"encoder": &transport.EncoderPlugin{Impl: impl}}, plugins.KindEncoder).(plugins.Encoder)
	ctx := context.Background()
	info, err := e.Configure(ctx, plugins.EncoderConfig{Seed: 42, Params: plugins.Params{"x": 1.0}})
	if err != nil || info.Dim != 2 {
		t.Fatalf("Configure = %+v, %v", info, err)
	}
	// More groups than one stream chunk holds, in three languages.
	var groups []plugins.CorpusGroup
	for i := 0; i < 10000; i++ {
		lang := []string{"de", "en", "zh"}[i%3]
		groups = append(groups, plugins.CorpusGroup{ID: uint32(i), Texts: []plugins.Text{
			{Lang: lang, Role: plugins.RoleQuery, Text: fmt.Sprintf("q%d", i)},
			{Lang: "en", Role: plugins.RolePassage, Text: fmt.Sprintf("p%d", i)},
		}})
	}
	if err := e.LoadCorpus(ctx, plugins.LoadCorpusRequest{Groups: groups}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(groups, impl.corpus); diff != "" {
		t.Fatalf("corpus over the wire differs:\n%.2000s", diff)
	}
	batch := plugins.Batch{{Group: 1, QueryLang: "en", PassageLang: "zh"}, {Group: 2, QueryLang: "zh", PassageLang: "de"}}
	r, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: batch})
	if err != nil || r.Loss != 1 || !cmp.Equal([]float64{0, 1}, r.PairLoss) {
		t.Fatalf("TrainStep = %+v, %v", r, err)
	}
	if diff := cmp.Diff([]plugins.Batch{batch}, impl.batches); diff != "" {
		t.Errorf("batch over the wire (-want +got):\n%s", diff)
	}
	// Pipelined steps: losses in order, and on a failure the losses of the
	// steps before it.
	steps := []plugins.Batch{{{Group: 1, QueryLang: "en", PassageLang: "zh"}}, {{Group: 2, QueryLang: "zh", PassageLang: "de"}, {Group: 3, QueryLang: "de", PassageLang: "de"}}, {{Group: 4, QueryLang: "en", PassageLang: "en"}, {Group: 5, QueryLang: "en", PassageLang: "en"}, {Group: 6, QueryLang: "en", PassageLang: "en"}}}
	results, err := transport.TrainSteps(ctx, e, steps)
	want := []plugins.TrainStepResult{{Loss: 0.5, PairLoss: []float64{0}}, {Loss: 1, PairLoss: []float64{0, 1}}, {Loss: 1.5, PairLoss: []float64{0, 1, 2}}}
	if err != nil || !cmp.Equal(want, results) {
		t.Fatalf("TrainSteps = %v, %v", results, err)
	}
	if diff := cmp.Diff(append([]plugins.Batch{batch}, steps...), impl.batches); diff != "" {
		t.Errorf("batches over the stream (-want +got):\n%s", diff)
	}
	steps[2] = plugins.Batch{{Group: 666, QueryLang: "en", PassageLang: "en"}}
	results, err = transport.TrainSteps(ctx, e, append(steps, plugins.Batch{{Group: 7, QueryLang: "en", PassageLang: "en"}}))
	if err == nil || !strings.Contains(err.Error(), "group 666") || len(results) != 2 {
		t.Fatalf("TrainSteps with a failing third step = %v, %v; want two results and its error", results, err)
	}
	if _, err := e.TrainStep(ctx, plugins.TrainStepRequest{Batch: plugins.Batch{{Group: 1, QueryLang: "fr", PassageLang: "en"}}}); err == nil {
		t.Error("TrainStep with a language absent from the corpus succeeded")
	}
	v, err := e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RolePassage, Lang: "en", Texts: []string{"ab", "abcd"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{2, 2, 4, 2}, v.Dense); diff != "" || v.Count != 2 || v.Dim != 2 {
		t.Errorf("dense vectors %+v %s", v, diff)
	}
	impl.sparse = true
	v, err = e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "en", Texts: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	wantSparse := &plugins.SparseVectors{Offsets: []uint32{0, 2, 4}, Terms: []uint64{0, 1 << 60, 1, 1 << 60}, Weights: []float32{0, 0.5, 1, 0.5}}
	if diff := cmp.Diff(wantSparse, v.Sparse); diff != "" {
		t.Errorf("sparse vectors (-want +got):\n%s", diff)
	}
	impl.hybrid = true
	v, err = e.Encode(ctx, plugins.EncodeRequest{Role: plugins.RoleQuery, Lang: "en", Texts: []string{"a", "bcd"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantSparse, v.Sparse); diff != "" || v.Dim != 1 || !cmp.Equal([]float32{1, 3}, v.Dense) {
		t.Errorf("hybrid vectors %+v %s", v, diff)
	}
}

// fakeReader answers with the first word of the candidate the question
// names by number ("2" → candidate 2), and records what it was trained on.
type fakeReader struct{ trained []plugins.ReadingExample }

func (f *fakeReader) Describe(context.Context) (plugins.Info, error) {
	return plugins.Info{Name: "fake-reader", Version: "1", Trainable: true}, nil
}
func (f *fakeReader) Configure(_ context.Context, cfg plugins.ReaderConfig) (plugins.ReaderInfo, error) {
	if cfg.Seed != 7 {
		return plugins.ReaderInfo{}, fmt.Errorf("seed %d", cfg.Seed)
	}
	return plugins.ReaderInfo{}, nil
}
func (f *fakeReader) Train(_ context.Context, req plugins.TrainReaderRequest) (plugins.TrainReaderResult, error) {
	f.trained = req.Examples
	return plugins.TrainReaderResult{Loss: []float32{2, 1}}, nil
}
func (f *fakeReader) Read(_ context.Context, req plugins.ReadRequest) ([]plugins.Answer, error) {
	qs := req.Queries
	out := make([]plugins.Answer, len(qs))
	for i, q := range qs {
		c := int(q.Question[0] - '0')
		out[i] = plugins.Answer{Candidate: c, Score: float64(i)}
		if c < len(q.Candidates) {
			out[i].Text = strings.Fields(q.Candidates[c].Text)[0]
		}
	}
	return out, nil
}
func (f *fakeReader) Save(context.Context, plugins.SaveRequest) error { return nil }

func TestReaderRoundTrip(t *testing.T) {
	impl := &fakeReader{}
	r := connect(t, plugin.PluginSet{"reader": &transport.ReaderPlugin{Impl: impl}}, plugins.KindReader).(plugins.Reader)
	ctx := context.Background()
	if _, err := r.Configure(ctx, plugins.ReaderConfig{Seed: 7}); err != nil {
		t.Fatal(err)
	}
	var examples []plugins.ReadingExample
	for i := 0; i < 5000; i++ {
		examples = append(examples, plugins.ReadingExample{Lang: "de", Question: fmt.Sprintf("q%d", i), Passage: "Berlin ist groß.", AnswerStart: 11, Answer: "groß"})
	}
	res, err := r.Train(ctx, plugins.TrainReaderRequest{Examples: examples})
	if err != nil || !cmp.Equal([]float32{2, 1}, res.Loss) {
		t.Fatalf("Train = %v, %v", res, err)
	}
	if diff := cmp.Diff(examples, impl.trained); diff != "" {
		t.Fatalf("examples over the wire differ:\n%.2000s", diff)
	}
	answers, err := r.Read(ctx, plugins.ReadRequest{Queries: []plugins.ReadQuery{
		{Question: "1?", Lang: "en", Candidates: []plugins.ReadCandidate{{Text: "a b", Lang: "en"}, {Text: "Paris is big", Lang: "en"}}},
		{Question: "0?", Lang: "zh", Candidates: []plugins.ReadCandidate{{Text: "北京 是", Lang: "zh"}}},
	}})
	want := []plugins.Answer{{Candidate: 1, Text: "Paris"}, {Candidate: 0, Text: "北京", Score: 1}}
	if err != nil || !cmp.Equal(want, answers) {
		t.Fatalf("Read = %+v, %v", answers, err)
	}
	if _, err := r.Read(ctx, plugins.ReadRequest{Queries: []plugins.ReadQuery{{Question: "3?", Candidates: []plugins.ReadCandidate{{Text: "x", Lang: "en"}}}}}); err == nil {
		t.Error("an answer naming a missing candidate was accepted")
	}
}
