package sdk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/xlbench/xlbench/plugins"
	"github.com/xlbench/xlbench/plugins/sdk"
)

var ctx = context.Background()

// constModel encodes every text as the vector (1, 0, …) of dim floats, and
// trains by counting steps.
type constModel struct {
	dim   int
	steps *int
}

func (m constModel) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	v := plugins.Vectors{Count: len(req.Texts), Dim: m.dim, Dense: make([]float32, len(req.Texts)*m.dim)}
	for i := range req.Texts {
		v.Dense[i*m.dim] = 1
	}
	return v, nil
}

type trainingModel struct{ constModel }

func (m trainingModel) LoadCorpus(context.Context, plugins.LoadCorpusRequest) error { return nil }
func (m trainingModel) TrainStep(_ context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	*m.steps++
	return plugins.TrainStepResult{Loss: 1, PairLoss: make([]float64, len(req.Batch)+*m.steps-1)}, nil
}

func encoderDef(trainable bool, model func(dim int) sdk.EncoderModel) sdk.EncoderDef {
	return sdk.EncoderDef{
		Info: plugins.Info{Name: "test", Version: "1", Trainable: trainable, Params: []plugins.ParamSpec{
			{Name: "dim", Type: plugins.ParamInteger, Default: 4.0, Min: plugins.Bound(1)},
		}},
		New: func(cfg plugins.EncoderConfig) (sdk.EncoderModel, plugins.EncoderInfo, error) {
			return model(cfg.Params.Int("dim")), plugins.EncoderInfo{Dim: cfg.Params.Int("dim")}, nil
		},
	}
}

// TestEncoderDef: parameters are checked and defaulted before New; calls
// before Configure, training calls to an encoder that does not train, and a
// model that breaks its own declaration are refused with a message.
func TestEncoderDef(t *testing.T) {
	steps := 0
	untrained := sdk.NewEncoder(encoderDef(false, func(dim int) sdk.EncoderModel { return constModel{dim, &steps} }))
	if _, err := untrained.Encode(ctx, plugins.EncodeRequest{Texts: []string{"x"}}); err == nil || !strings.Contains(err.Error(), "before Configure") {
		t.Errorf("Encode before Configure: %v", err)
	}
	if _, err := untrained.Configure(ctx, plugins.EncoderConfig{Params: plugins.Params{"dims": 3.0}}); err == nil ||
		!strings.Contains(err.Error(), `did you mean "dim"?`) {
		t.Errorf("misspelt parameter: %v", err)
	}
	info, err := untrained.Configure(ctx, plugins.EncoderConfig{})
	if err != nil || info.Dim != 4 {
		t.Fatalf("Configure with defaults = %+v, %v", info, err)
	}
	if err := untrained.LoadCorpus(ctx, plugins.LoadCorpusRequest{}); err == nil || !strings.Contains(err.Error(), "encoder test does not train") {
		t.Errorf("LoadCorpus on an untrained encoder: %v", err)
	}
	if err := untrained.Save(ctx, plugins.SaveRequest{Path: "x"}); err == nil {
		t.Error("Save on a model that saves nothing succeeded")
	}
	if err := untrained.Prepare(ctx, plugins.PrepareRequest{}); err != nil {
		t.Errorf("Prepare on a model without collection statistics: %v", err)
	}

	// Info says it trains, the model cannot: refused at Configure.
	liar := sdk.NewEncoder(encoderDef(true, func(dim int) sdk.EncoderModel { return constModel{dim, &steps} }))
	if _, err := liar.Configure(ctx, plugins.EncoderConfig{}); err == nil || !strings.Contains(err.Error(), "no LoadCorpus and TrainStep") {
		t.Errorf("trainable Info, untrainable model: %v", err)
	}

	trained := sdk.NewEncoder(encoderDef(true, func(dim int) sdk.EncoderModel { return trainingModel{constModel{dim, &steps}} }))
	if _, err := trained.Configure(ctx, plugins.EncoderConfig{}); err != nil {
		t.Fatal(err)
	}
	b := plugins.Batch{{Group: 1, QueryLang: "en", PassageLang: "en"}, {Group: 2, QueryLang: "en", PassageLang: "en"}}
	if r, err := trained.TrainStep(ctx, plugins.TrainStepRequest{Batch: b}); err != nil || r.Loss != 1 {
		t.Errorf("TrainStep = %+v, %v", r, err)
	}
	// The model's second step reports one pair loss too many.
	if _, err := trained.TrainStep(ctx, plugins.TrainStepRequest{Batch: b}); err == nil || !strings.Contains(err.Error(), "3 pair losses for a batch of 2") {
		t.Errorf("pair losses of the wrong length: %v", err)
	}
}

// forgetfulModel fills Dense but leaves Count and Dim zero: the mistake
// of a first encoder.
type forgetfulModel struct{ dim int }

func (m forgetfulModel) Encode(_ context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	return plugins.Vectors{Dense: make([]float32, len(req.Texts)*m.dim)}, nil
}

// TestVectorsShapeErrorNamesFields: a Vectors of the wrong shape is
// refused with an error that names each field, what it holds and what it
// should hold.
func TestVectorsShapeErrorNamesFields(t *testing.T) {
	e := sdk.NewEncoder(encoderDef(false, func(dim int) sdk.EncoderModel { return forgetfulModel{dim} }))
	if _, err := e.Configure(ctx, plugins.EncoderConfig{}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Encode(ctx, plugins.EncodeRequest{Texts: []string{"a", "b", "c"}})
	want := "encoder test returned plugins.Vectors{Count: 0, Dim: 0, len(Dense): 12} for 3 texts; want Count = 3 (one vector per text), " +
		"Dim = 4 (the EncoderInfo.Dim its New returned) and Dense = Count×Dim = 12 float32s, row-major (text i's vector at Dense[i*Dim:(i+1)*Dim])"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

type answerFirst struct{}

func (answerFirst) Read(_ context.Context, req plugins.ReadRequest) ([]plugins.Answer, error) {
	out := make([]plugins.Answer, len(req.Queries))
	for i, q := range req.Queries {
		out[i] = plugins.Answer{Candidate: len(q.Candidates) - 1} // out of range when there are none
	}
	return out, nil
}

// TestReaderDef: training is refused for a reader that does not train, and
// an answer naming a candidate the query does not have is refused.
func TestReaderDef(t *testing.T) {
	r := sdk.NewReader(sdk.ReaderDef{Info: plugins.Info{Name: "first", Version: "1"},
		New: func(plugins.ReaderConfig) (sdk.ReaderModel, error) { return answerFirst{}, nil }})
	if _, err := r.Configure(ctx, plugins.ReaderConfig{Params: plugins.Params{"x": 1.0}}); err == nil ||
		!strings.Contains(err.Error(), "takes no parameters") {
		t.Errorf("unknown parameter: %v", err)
	}
	if _, err := r.Configure(ctx, plugins.ReaderConfig{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Train(ctx, plugins.TrainReaderRequest{}); err == nil || !strings.Contains(err.Error(), "does not train") {
		t.Errorf("Train on a reader that does not train: %v", err)
	}
	one := plugins.ReadQuery{Question: "q", Candidates: []plugins.ReadCandidate{{Text: "a", Lang: "en"}}}
	if _, err := r.Read(ctx, plugins.ReadRequest{Queries: []plugins.ReadQuery{one}}); err != nil {
		t.Errorf("Read: %v", err)
	}
	if _, err := r.Read(ctx, plugins.ReadRequest{Queries: []plugins.ReadQuery{{Question: "q"}}}); err == nil ||
		!strings.Contains(err.Error(), "names candidate -1 of 0") {
		t.Errorf("answer naming no candidate: %v", err)
	}
}
