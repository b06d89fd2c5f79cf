package transport

import (
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/xlbench/xlbench/plugins"
	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"
)

// ReaderPlugin is the go-plugin plugin for the Reader kind. Impl is set on
// the plugin side and nil on the host side.
type ReaderPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl plugins.Reader
}

// GRPCServer registers the reader implementation.
func (p *ReaderPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterReaderServer(s, &readerServer{impl: p.Impl})
	return nil
}

// GRPCClient returns a Reader that calls the plugin.
func (p *ReaderPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &readerClient{rpc: pb.NewReaderClient(c)}, nil
}

type readerClient struct{ rpc pb.ReaderClient }

func (c *readerClient) Describe(ctx context.Context) (plugins.Info, error) {
	w, err := c.rpc.Describe(ctx, &pb.Empty{})
	if err != nil {
		return plugins.Info{}, err
	}
	return infoFromWire(w)
}

func (c *readerClient) Configure(ctx context.Context, cfg plugins.ReaderConfig) (plugins.ReaderInfo, error) {
	params, err := paramsToWire(cfg.Params)
	if err != nil {
		return plugins.ReaderInfo{}, err
	}
	if _, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Params: params, Seed: cfg.Seed}); err != nil {
		return plugins.ReaderInfo{}, err
	}
	return plugins.ReaderInfo{}, nil
}

func (c *readerClient) Train(ctx context.Context, req plugins.TrainReaderRequest) (plugins.TrainReaderResult, error) {
	examples := req.Examples
	stream, err := c.rpc.Train(ctx)
	if err != nil {
		return plugins.TrainReaderResult{}, err
	}
	for _, ex := range examples {
		if err := stream.Send(&pb.ReadingExample{Lang: ex.Lang, QuestionLang: ex.QuestionLang, Question: ex.Question, Passage: ex.Passage,
			AnswerStart: uint32(ex.AnswerStart), Answer: ex.Answer}); err != nil {
			break // CloseAndRecv reports why
		}
	}
	sum, err := stream.CloseAndRecv()
	if err != nil {
		return plugins.TrainReaderResult{}, err
	}
	if int(sum.GetExamples()) != len(examples) {
		return plugins.TrainReaderResult{}, fmt.Errorf("reader received %d of %d training examples", sum.GetExamples(), len(examples))
	}
	return plugins.TrainReaderResult{Loss: sum.GetLoss()}, nil
}

func (c *readerClient) Read(ctx context.Context, r plugins.ReadRequest) ([]plugins.Answer, error) {
	queries := r.Queries
	req := &pb.ReadRequest{Queries: make([]*pb.ReadQuery, len(queries))}
	for i, q := range queries {
		wq := &pb.ReadQuery{Question: q.Question, Lang: q.Lang, Candidates: make([]*pb.Candidate, len(q.Candidates))}
		for j, cand := range q.Candidates {
			wq.Candidates[j] = &pb.Candidate{Text: cand.Text, Lang: cand.Lang}
		}
		req.Queries[i] = wq
	}
	resp, err := c.rpc.Read(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(resp.GetAnswers()) != len(queries) {
		return nil, fmt.Errorf("reader returned %d answers for %d queries", len(resp.GetAnswers()), len(queries))
	}
	out := make([]plugins.Answer, len(queries))
	for i, a := range resp.GetAnswers() {
		if n := len(queries[i].Candidates); int(a.GetCandidate()) >= n && n > 0 {
			return nil, fmt.Errorf("answer %d names candidate %d of %d", i, a.GetCandidate(), n)
		}
		out[i] = plugins.Answer{Candidate: int(a.GetCandidate()), Start: int(a.GetStart()), Text: a.GetText(), Score: a.GetScore()}
	}
	return out, nil
}

func (c *readerClient) Save(ctx context.Context, req plugins.SaveRequest) error {
	_, err := c.rpc.Save(ctx, &pb.SaveRequest{Path: req.Path})
	return err
}

type readerServer struct {
	pb.UnimplementedReaderServer
	impl plugins.Reader
}

func (s *readerServer) Describe(ctx context.Context, _ *pb.Empty) (*pb.PluginInfo, error) {
	info, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	return infoToWire(info)
}

func (s *readerServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ReaderInfo, error) {
	if _, err := s.impl.Configure(ctx, plugins.ReaderConfig{Params: paramsFromWire(req.GetParams()), Seed: req.GetSeed()}); err != nil {
		return nil, err
	}
	desc, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	// Info.Trainable is the one source; the wire field serves older hosts.
	return &pb.ReaderInfo{Trainable: desc.Trainable}, nil
}

func (s *readerServer) Train(stream pb.Reader_TrainServer) error {
	var examples []plugins.ReadingExample
	for {
		w, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		examples = append(examples, plugins.ReadingExample{Lang: w.GetLang(), QuestionLang: w.GetQuestionLang(), Question: w.GetQuestion(), Passage: w.GetPassage(),
			AnswerStart: int(w.GetAnswerStart()), Answer: w.GetAnswer()})
	}
	r, err := s.impl.Train(stream.Context(), plugins.TrainReaderRequest{Examples: examples})
	if err != nil {
		return err
	}
	return stream.SendAndClose(&pb.TrainSummary{Loss: r.Loss, Examples: uint64(len(examples))})
}

func (s *readerServer) Read(ctx context.Context, req *pb.ReadRequest) (*pb.ReadResponse, error) {
	queries := make([]plugins.ReadQuery, len(req.GetQueries()))
	for i, q := range req.GetQueries() {
		rq := plugins.ReadQuery{Question: q.GetQuestion(), Lang: q.GetLang(), Candidates: make([]plugins.ReadCandidate, len(q.GetCandidates()))}
		for j, c := range q.GetCandidates() {
			rq.Candidates[j] = plugins.ReadCandidate{Text: c.GetText(), Lang: c.GetLang()}
		}
		queries[i] = rq
	}
	answers, err := s.impl.Read(ctx, plugins.ReadRequest{Queries: queries})
	if err != nil {
		return nil, err
	}
	if len(answers) != len(queries) {
		return nil, fmt.Errorf("reader returned %d answers for %d queries", len(answers), len(queries))
	}
	resp := &pb.ReadResponse{Answers: make([]*pb.Answer, len(answers))}
	for i, a := range answers {
		resp.Answers[i] = &pb.Answer{Candidate: uint32(a.Candidate), Start: uint32(a.Start), Text: a.Text, Score: a.Score}
	}
	return resp, nil
}

func (s *readerServer) Save(ctx context.Context, req *pb.SaveRequest) (*pb.Empty, error) {
	if err := s.impl.Save(ctx, plugins.SaveRequest{Path: req.GetPath()}); err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}
