package plugins

import (
	"context"
	"fmt"
	"slices"

	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"
)

// ProtocolVersion is the version of the plugin protocol. Host and plugin
// must agree on it; a plugin built against another version fails the
// handshake with a message that names both versions. Like the other
// protocol constants it is declared in the .proto (enum Protocol in
// common.proto), which every SDK's code is generated from.
const ProtocolVersion = int(pb.Protocol_PROTOCOL_VERSION)

// ProtocolRevision counts the additions to protocol ProtocolVersion that
// leave it compatible both ways (a field an older peer ignores and sends
// as zero): 2 added SamplerConfig.Steps. Plugins and hosts of any
// revision of one version work together.
const ProtocolRevision = int(pb.Protocol_PROTOCOL_REVISION)

// Kind names a plugin kind.
type Kind string

// The plugin kinds.
const (
	KindSampler Kind = "sampler"
	KindEncoder Kind = "encoder"
	KindReader  Kind = "reader"
)

// BuiltinPrefix marks a reference to a plugin compiled into xlbench,
// "builtin:NAME"; any other reference is the path of an executable.
const BuiltinPrefix = "builtin:"

// Info identifies a plugin and declares the parameters it accepts.
type Info struct {
	Name        string
	Version     string
	Description string
	Params      []ParamSpec
	// Trainable marks an encoder or a reader that trains: the one place
	// that says so. The host trains a trainable encoder once per sampler
	// and seed (LoadCorpus, TrainStep) and evaluates an untrained one once
	// per experiment; it trains a trainable reader (Train) before reading.
	Trainable bool
	// ObservesTraining marks a sampler that is told how training goes: the
	// host calls its Observe (see Observer) after every FeedbackEvery
	// steps, before it asks for the next batches.
	ObservesTraining bool
}

// Group is one parallel training unit, such as one QA pair available in
// several languages. Samplers see only which languages each side offers,
// and the group's kind.
type Group struct {
	ID           uint32
	Kind         GroupKind
	QueryLangs   []string
	PassageLangs []string
}

// GroupKind says what a group is, and so which pairs a sampler may take
// from it.
type GroupKind int

// The group kinds. The zero kind is a QA pair, so that a host that sends no
// kind (protocol 1 before kinds) describes QA groups.
const (
	// GroupQA is a question and the passage that answers it, each in some
	// languages: any (query language, passage language) pair is a positive.
	GroupQA GroupKind = iota
	// GroupTranslation is one sentence in several languages, offered on
	// both sides (QueryLangs and PassageLangs are the same). Only pairs of
	// two different languages are positives: a same-language pair would
	// match a sentence with itself. The host refuses such pairs.
	GroupTranslation
)

func (k GroupKind) String() string {
	switch k {
	case GroupQA:
		return "qa"
	case GroupTranslation:
		return "translation"
	}
	return fmt.Sprintf("GroupKind(%d)", int(k))
}

// Allows reports whether the group offers the pair (query language q,
// passage language p).
func (g Group) Allows(q, p string) bool {
	if g.Kind == GroupTranslation && q == p {
		return false
	}
	return slices.Contains(g.QueryLangs, q) && slices.Contains(g.PassageLangs, p)
}

// CorpusSummary is what a sampler knows of the training corpus.
type CorpusSummary struct {
	Groups []Group
}

// Pair is one training example: the query side of Group in QueryLang and its
// passage side in PassageLang.
type Pair struct {
	// Group is the group's ID (Group.ID, CorpusGroup.ID), never its
	// position in CorpusSummary.Groups: a sampler offered part of a corpus
	// (a sampler's languages) sees the same ids at other positions.
	Group       uint32
	QueryLang   string
	PassageLang string
}

// Batch is one training batch. In-batch negatives make its composition the
// experiment: the pairs' other passages are each query's negatives.
type Batch []Pair

// Monolingual reports whether every pair of the batch has query and passage
// in one and the same language.
func (b Batch) Monolingual() bool {
	if len(b) == 0 {
		return false
	}
	l := b[0].QueryLang
	for _, p := range b {
		if p.QueryLang != l || p.PassageLang != l {
			return false
		}
	}
	return true
}

// SamplerConfig starts a sampler.
type SamplerConfig struct {
	Corpus    CorpusSummary
	BatchSize int
	Params    Params
	Seed      uint64
	// Steps is how many batches the host will ask for (the cell's
	// training length), so that a schedule can span the run; 0 from a host
	// before ProtocolRevision 2, or when the length is not known.
	Steps int
}

// Sampler chooses training batches. It must be deterministic: the same
// SamplerConfig gives the same sequence of batches.
type Sampler interface {
	Describe(ctx context.Context) (Info, error)
	// Start resets the sampler to the beginning of the sequence that cfg
	// determines.
	Start(ctx context.Context, cfg SamplerConfig) error
	// Next returns the next Count batches.
	Next(ctx context.Context, req NextRequest) ([]Batch, error)
}

// NextRequest asks a sampler for the next batches of its sequence.
type NextRequest struct {
	Count int
}

// Feedback is what an observing sampler is told after a chunk of steps.
type Feedback struct {
	// FirstStep is the 0-based index of the chunk's first step.
	FirstStep int
	// StepLoss is the loss of every step of the chunk, in order.
	StepLoss []float64
	// PairLoss is the mean loss per (query language, passage language)
	// pair over the chunk, sorted by query then passage language; empty
	// when the encoder does not report pair losses (TrainStepResult.PairLoss).
	PairLoss []PairLoss
}

// PairLoss is the mean loss of the pairs of one language pair.
type PairLoss struct {
	QueryLang, PassageLang string
	Mean                   float64
	Pairs                  int
}

// FeedbackEvery is the feedback cadence of the sampler contract: the host
// asks a sampler for FeedbackEvery batches at a time (Next), trains them,
// and tells an observing sampler of those steps (Observe) before asking
// for the next ones; the last chunk of a run may be shorter. It is fixed:
// nothing else (validation, the encoder, the machine) changes when a
// sampler hears of its batches, and it enters the cell id of an observing
// sampler's cells. Declared in the .proto (PROTOCOL_FEEDBACK_EVERY).
const FeedbackEvery = int(pb.Protocol_PROTOCOL_FEEDBACK_EVERY)

// Observer is a sampler that observes training (Info.ObservesTraining).
// Observe must be deterministic in its effect: the same feedback after the
// same Start gives the same batches. It is called after every
// FeedbackEvery steps, with their losses (Feedback.FirstStep is a
// multiple of FeedbackEvery).
type Observer interface {
	Observe(ctx context.Context, f Feedback) error
}

// Role says which side of the dual encoder a text is on. Encoders commonly
// prefix the role ("query:", "passage:").
type Role int

// The roles.
const (
	RoleQuery Role = iota + 1
	RolePassage
)

func (r Role) String() string {
	switch r {
	case RoleQuery:
		return "query"
	case RolePassage:
		return "passage"
	}
	return "unspecified"
}

// EncoderConfig configures an encoder.
type EncoderConfig struct {
	Params Params
	Seed   uint64
	// TrainSteps is how many training steps the host will send (0: it will
	// not train the encoder), so that a learning-rate schedule can span the
	// run.
	TrainSteps int
}

// EncoderInfo tells the host how to use a configured encoder.
type EncoderInfo struct {
	// Dim is the dimension of dense vectors; 0 for a sparse encoder.
	Dim int
	// Sparse encoders return sparse vectors. With Dim > 0 too the encoder
	// is hybrid: each text has a dense and a sparse part, and its score is
	// the sum of the two inner products (a learned dense model beside a
	// lexical one, say).
	Sparse bool
	// CollectionStats means passage vectors depend on the collection set by
	// Prepare (as BM25's idf does): the host calls Prepare with a collection
	// before it encodes that collection's passages.
	CollectionStats bool
}

// Text is one side of a group in one language.
type Text struct {
	Lang string
	Role Role
	Text string
}

// CorpusGroup holds the texts of one training group.
type CorpusGroup struct {
	ID    uint32
	Texts []Text
}

// SparseVectors holds sparse vectors in compressed-row form: vector i has
// Terms[Offsets[i]:Offsets[i+1]] with the same slice of Weights. Term ids
// are opaque; equal ids mean the same term.
type SparseVectors struct {
	Offsets []uint32
	Terms   []uint64
	Weights []float32
}

// Len is the number of vectors.
func (s *SparseVectors) Len() int {
	if len(s.Offsets) == 0 {
		return 0
	}
	return len(s.Offsets) - 1
}

// Vectors is a block of encoded texts: dense, sparse, or both (hybrid).
type Vectors struct {
	Count int
	// Dim and Dense hold Count dense vectors of Dim float32s, row-major;
	// Dim is 0 for a sparse encoder.
	Dim   int
	Dense []float32
	// Sparse holds sparse vectors; nil for a dense encoder.
	Sparse *SparseVectors
}

// Encoder is a retrieval model. Every call takes a request struct, so that
// the contract can grow without breaking plugins.
type Encoder interface {
	Describe(ctx context.Context) (Info, error)
	// Configure (re)initialises the model for the checked parameters and
	// seed; it is called before anything else and may be called again.
	Configure(ctx context.Context, cfg EncoderConfig) (EncoderInfo, error)
	// LoadCorpus gives a trainable encoder the texts of every training
	// group, once, before the first TrainStep. An encoder that does not
	// train (Info.Trainable false) is never sent it and refuses it.
	LoadCorpus(ctx context.Context, req LoadCorpusRequest) error
	// TrainStep trains on one batch and returns its loss.
	TrainStep(ctx context.Context, req TrainStepRequest) (TrainStepResult, error)
	// Prepare sets the collection statistics used for the passages encoded
	// next (only for EncoderInfo.CollectionStats). The host sends each
	// language's candidates (Lang set) before encoding that language's
	// pool, and all candidates of a multilingual pool with Lang empty.
	Prepare(ctx context.Context, req PrepareRequest) error
	// Encode encodes texts, all in one language, on one side of the model.
	Encode(ctx context.Context, req EncodeRequest) (Vectors, error)
	// Save writes a checkpoint of the model to Path; a later Configure with
	// the encoder's checkpoint parameter set to it loads it.
	Save(ctx context.Context, req SaveRequest) error
}

// LoadCorpusRequest carries every training group's texts.
type LoadCorpusRequest struct {
	Groups []CorpusGroup
}

// TrainStepRequest carries one batch: pair i's query is the query side of
// group Batch[i].Group in Batch[i].QueryLang, its positive the passage side
// in Batch[i].PassageLang, and the batch's other passages its negatives.
type TrainStepRequest struct {
	Batch Batch
}

// TrainStepResult is one step's outcome: the batch loss (before the step's
// update) and, optionally, each pair's own loss in batch order (for the
// symmetric in-batch InfoNCE, the mean of the pair's query-to-passage and
// passage-to-query terms; their mean is the batch loss), from which the
// host tells an observing sampler the loss per language pair.
type TrainStepResult struct {
	Loss     float64
	PairLoss []float64
}

// PrepareRequest carries the collection a CollectionStats encoder computes
// its statistics on; Lang is empty for a pool of several languages.
type PrepareRequest struct {
	Lang  string
	Texts []string
}

// EncodeRequest asks for the vectors of Texts, all in Lang, on side Role.
type EncodeRequest struct {
	Role  Role
	Lang  string
	Texts []string
}

// SaveRequest names where a checkpoint is written.
type SaveRequest struct {
	Path string
}

// ReaderConfig configures a reader.
type ReaderConfig struct {
	Params Params
	Seed   uint64
}

// ReaderInfo tells the host how to use a configured reader; whether it
// trains is Info.Trainable. It has no fields yet: it is where the contract
// grows.
type ReaderInfo struct{}

// ReadingExample is a training example for a reader: the answer is the
// passage's substring that starts at AnswerStart, counted in runes (code
// points, as SQuAD counts), and reads Answer.
type ReadingExample struct {
	// Lang is the passage's language, QuestionLang the question's (empty
	// from a host that predates it: then the passage's).
	Lang         string
	QuestionLang string
	Question     string
	Passage      string
	AnswerStart  int
	Answer       string
}

// ReadCandidate is one retrieved candidate given to a reader.
type ReadCandidate struct {
	Text string
	Lang string
}

// ReadQuery is a question with its retrieved candidates, best first.
type ReadQuery struct {
	Question   string
	Lang       string
	Candidates []ReadCandidate
}

// Answer is a reader's answer: a span of one candidate (Start in runes),
// its text and the reader's confidence.
type Answer struct {
	Candidate int
	Start     int
	Text      string
	Score     float64
}

// Reader is an extractive question-answering model. Every call takes a
// request struct, so that the contract can grow without breaking plugins.
type Reader interface {
	Describe(ctx context.Context) (Info, error)
	Configure(ctx context.Context, cfg ReaderConfig) (ReaderInfo, error)
	// Train trains a trainable reader (Info.Trainable) on every example,
	// as its parameters say, and returns the loss of each optimisation
	// step; a reader that does not train is never sent it.
	Train(ctx context.Context, req TrainReaderRequest) (TrainReaderResult, error)
	// Read answers each query from its candidates: one answer per query.
	Read(ctx context.Context, req ReadRequest) ([]Answer, error)
	// Save writes the trained reader as a checkpoint.
	Save(ctx context.Context, req SaveRequest) error
}

// TrainReaderRequest carries a reader's training examples.
type TrainReaderRequest struct {
	Examples []ReadingExample
}

// TrainReaderResult is what training a reader gives: the loss of every
// optimisation step.
type TrainReaderResult struct {
	Loss []float32
}

// ReadRequest carries the queries to answer.
type ReadRequest struct {
	Queries []ReadQuery
}
