package plugins_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-plugin"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

// connect serves impls over an in-process gRPC connection and returns the
// dispensed client.
func connect(t *testing.T, set plugin.PluginSet, kind plugins.Kind) any {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, true, set)
	t.Cleanup(func() { client.Close(); server.Stop() })
	raw, err := client.Dispense(string(kind))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestSamplerRoundTrip(t *testing.T) {
	def := sdk.SamplerDef{
		Info: plugins.Info{Name: "echo", Version: "1", Params: []plugins.ParamSpec{
			{Name: "lang", Type: plugins.ParamString, Default: "de", OneOf: []string{"de", "en"}},
			{Name: "weights", Type: plugins.ParamNumberList, Default: []float64{1, 2}},
		}},
		New: func(cfg plugins.SamplerConfig) (sdk.BatchFunc, error) {
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
	s := connect(t, plugin.PluginSet{"sampler": &plugins.SamplerPlugin{Impl: sdk.NewSampler(def)}}, plugins.KindSampler).(plugins.Sampler)
	ctx := context.Background()
	info, err := s.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(def.Info, info); diff != "" {
		t.Errorf("Info over the wire (-want +got):\n%s", diff)
	}
	if _, err := s.Next(ctx, 1); err == nil {
		t.Error("Next before Start succeeded")
	}
	corpus := plugins.CorpusSummary{Groups: []plugins.Group{
		{ID: 7, QueryLangs: []string{"de", "en"}, PassageLangs: []string{"en"}},
		{ID: 9, QueryLangs: []string{"de"}, PassageLangs: []string{"de"}},
	}}
	if err := s.Start(ctx, plugins.SamplerConfig{Corpus: corpus, BatchSize: 3, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Next(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []plugins.Batch{
		{{7, "de", "en"}, {9, "de", "de"}, {7, "de", "en"}},
		{{9, "de", "de"}, {7, "de", "en"}, {9, "de", "de"}},
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
	return plugins.Info{Name: "fake", Version: "2"}, nil
}
func (f *fakeEncoder) Configure(_ context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	if cfg.Seed != 42 {
		return plugins.EncoderInfo{}, fmt.Errorf("seed %d", cfg.Seed)
	}
	return plugins.EncoderInfo{Dim: 2, Trainable: true}, nil
}
func (f *fakeEncoder) LoadCorpus(_ context.Context, g []plugins.CorpusGroup) error {
	f.corpus = append(f.corpus, g...)
	return nil
}
func (f *fakeEncoder) TrainStep(_ context.Context, b plugins.Batch) (float64, error) {
	if b[0].Group == 666 {
		return 0, fmt.Errorf("cannot train on group 666")
	}
	f.batches = append(f.batches, b)
	return float64(len(b)) / 2, nil
}
func (f *fakeEncoder) Prepare(context.Context, string, []string) error { return nil }
func (f *fakeEncoder) Save(_ context.Context, path string) error {
	if path == "" {
		return fmt.Errorf("no path")
	}
	return nil
}
func (f *fakeEncoder) Encode(_ context.Context, role plugins.Role, _ string, texts []string) (plugins.Vectors, error) {
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
	e := connect(t, plugin.PluginSet{"encoder": &plugins.EncoderPlugin{Impl: impl}}, plugins.KindEncoder).(plugins.Encoder)
	ctx := context.Background()
	info, err := e.Configure(ctx, plugins.EncoderConfig{Seed: 42, Params: plugins.Params{"x": 1.0}})
	if err != nil || info.Dim != 2 || !info.Trainable {
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
	if err := e.LoadCorpus(ctx, groups); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(groups, impl.corpus); diff != "" {
		t.Fatalf("corpus over the wire differs:\n%.2000s", diff)
	}
	batch := plugins.Batch{{1, "en", "zh"}, {2, "zh", "de"}}
	loss, err := e.TrainStep(ctx, batch)
	if err != nil || loss != 1 {
		t.Fatalf("TrainStep = %v, %v", loss, err)
	}
	if diff := cmp.Diff([]plugins.Batch{batch}, impl.batches); diff != "" {
		t.Errorf("batch over the wire (-want +got):\n%s", diff)
	}
	// Pipelined steps: losses in order, and on a failure the losses of the
	// steps before it.
	steps := []plugins.Batch{{{1, "en", "zh"}}, {{2, "zh", "de"}, {3, "de", "de"}}, {{4, "en", "en"}, {5, "en", "en"}, {6, "en", "en"}}}
	losses, err := plugins.TrainSteps(ctx, e, steps)
	if err != nil || !cmp.Equal([]float64{0.5, 1, 1.5}, losses) {
		t.Fatalf("TrainSteps = %v, %v", losses, err)
	}
	if diff := cmp.Diff(append([]plugins.Batch{batch}, steps...), impl.batches); diff != "" {
		t.Errorf("batches over the stream (-want +got):\n%s", diff)
	}
	steps[2] = plugins.Batch{{666, "en", "en"}}
	losses, err = plugins.TrainSteps(ctx, e, append(steps, plugins.Batch{{7, "en", "en"}}))
	if err == nil || !strings.Contains(err.Error(), "group 666") || len(losses) != 2 {
		t.Fatalf("TrainSteps with a failing third step = %v, %v; want two losses and its error", losses, err)
	}
	if _, err := e.TrainStep(ctx, plugins.Batch{{1, "fr", "en"}}); err == nil {
		t.Error("TrainStep with a language absent from the corpus succeeded")
	}
	v, err := e.Encode(ctx, plugins.RolePassage, "en", []string{"ab", "abcd"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]float32{2, 2, 4, 2}, v.Dense); diff != "" || v.Count != 2 || v.Dim != 2 {
		t.Errorf("dense vectors %+v %s", v, diff)
	}
	impl.sparse = true
	v, err = e.Encode(ctx, plugins.RoleQuery, "en", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	want := &plugins.SparseVectors{Offsets: []uint32{0, 2, 4}, Terms: []uint64{0, 1 << 60, 1, 1 << 60}, Weights: []float32{0, 0.5, 1, 0.5}}
	if diff := cmp.Diff(want, v.Sparse); diff != "" {
		t.Errorf("sparse vectors (-want +got):\n%s", diff)
	}
	impl.hybrid = true
	v, err = e.Encode(ctx, plugins.RoleQuery, "en", []string{"a", "bcd"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, v.Sparse); diff != "" || v.Dim != 1 || !cmp.Equal([]float32{1, 3}, v.Dense) {
		t.Errorf("hybrid vectors %+v %s", v, diff)
	}
}

func TestCheckParams(t *testing.T) {
	specs := []plugins.ParamSpec{
		{Name: "n", Type: plugins.ParamInteger, Default: 3.0, Min: plugins.Bound(1)},
		{Name: "rate", Type: plugins.ParamNumber, Max: plugins.Bound(1)},
		{Name: "on", Type: plugins.ParamBool, Default: true},
		{Name: "langs", Type: plugins.ParamStringList},
	}
	got, err := plugins.CheckParams(specs, plugins.Params{"rate": 0.5, "langs": []any{"de", "en"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(plugins.Params{"n": 3.0, "rate": 0.5, "on": true, "langs": []string{"de", "en"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		p    plugins.Params
		want string
	}{
		{plugins.Params{"n": 2.5}, "want an integer"},
		{plugins.Params{"n": 0.0}, "below the minimum 1"},
		{plugins.Params{"rate": 2.0}, "above the maximum 1"},
		{plugins.Params{"on": "yes"}, "want a bool, got a string"},
		{plugins.Params{"langs": []any{"de", 1.0}}, "element 1: want a string"},
		{plugins.Params{"rat": 0.1}, `did you mean "rate"?`},
	} {
		_, err := plugins.CheckParams(specs, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckParams(%v) = %v, want %q", tc.p, err, tc.want)
		}
	}
}

// fakeReader answers with the first word of the candidate the question
// names by number ("2" → candidate 2), and records what it was trained on.
type fakeReader struct{ trained []plugins.ReadingExample }

func (f *fakeReader) Describe(context.Context) (plugins.Info, error) {
	return plugins.Info{Name: "fake-reader", Version: "1"}, nil
}
func (f *fakeReader) Configure(_ context.Context, cfg plugins.ReaderConfig) (plugins.ReaderInfo, error) {
	return plugins.ReaderInfo{Trainable: cfg.Seed == 7}, nil
}
func (f *fakeReader) Train(_ context.Context, ex []plugins.ReadingExample) ([]float32, error) {
	f.trained = ex
	return []float32{2, 1}, nil
}
func (f *fakeReader) Read(_ context.Context, qs []plugins.ReadQuery) ([]plugins.Answer, error) {
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
func (f *fakeReader) Save(context.Context, string) error { return nil }

func TestReaderRoundTrip(t *testing.T) {
	impl := &fakeReader{}
	r := connect(t, plugin.PluginSet{"reader": &plugins.ReaderPlugin{Impl: impl}}, plugins.KindReader).(plugins.Reader)
	ctx := context.Background()
	if info, err := r.Configure(ctx, plugins.ReaderConfig{Seed: 7}); err != nil || !info.Trainable {
		t.Fatalf("Configure = %+v, %v", info, err)
	}
	var examples []plugins.ReadingExample
	for i := 0; i < 5000; i++ {
		examples = append(examples, plugins.ReadingExample{Lang: "de", Question: fmt.Sprintf("q%d", i), Passage: "Berlin ist groß.", AnswerStart: 11, Answer: "groß"})
	}
	loss, err := r.Train(ctx, examples)
	if err != nil || !cmp.Equal([]float32{2, 1}, loss) {
		t.Fatalf("Train = %v, %v", loss, err)
	}
	if diff := cmp.Diff(examples, impl.trained); diff != "" {
		t.Fatalf("examples over the wire differ:\n%.2000s", diff)
	}
	answers, err := r.Read(ctx, []plugins.ReadQuery{
		{Question: "1?", Lang: "en", Candidates: []plugins.ReadCandidate{{"a b", "en"}, {"Paris is big", "en"}}},
		{Question: "0?", Lang: "zh", Candidates: []plugins.ReadCandidate{{"北京 是", "zh"}}},
	})
	want := []plugins.Answer{{Candidate: 1, Text: "Paris"}, {Candidate: 0, Text: "北京", Score: 1}}
	if err != nil || !cmp.Equal(want, answers) {
		t.Fatalf("Read = %+v, %v", answers, err)
	}
	if _, err := r.Read(ctx, []plugins.ReadQuery{{Question: "3?", Candidates: []plugins.ReadCandidate{{"x", "en"}}}}); err == nil {
		t.Error("an answer naming a missing candidate was accepted")
	}
}
