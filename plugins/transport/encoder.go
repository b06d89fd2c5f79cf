package transport

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xlbench/xlbench/plugins"
	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"
)

// corpusChunkGroups is how many groups one LoadCorpus message carries.
const corpusChunkGroups = 4096

// EncoderPlugin is the go-plugin plugin for the Encoder kind. Impl is set on
// the plugin side and nil on the host side.
type EncoderPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl plugins.Encoder
}

// GRPCServer registers the encoder implementation.
func (p *EncoderPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterEncoderServer(s, &encoderServer{impl: p.Impl})
	return nil
}

// GRPCClient returns an Encoder that calls the plugin.
func (p *EncoderPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &encoderClient{rpc: pb.NewEncoderClient(c), langs: newLangTable()}, nil
}

type encoderClient struct {
	rpc   pb.EncoderClient
	langs *langTable
}

func (c *encoderClient) Describe(ctx context.Context) (plugins.Info, error) {
	w, err := c.rpc.Describe(ctx, &pb.Empty{})
	if err != nil {
		return plugins.Info{}, err
	}
	return infoFromWire(w)
}

func (c *encoderClient) Configure(ctx context.Context, cfg plugins.EncoderConfig) (plugins.EncoderInfo, error) {
	params, err := paramsToWire(cfg.Params)
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	w, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Params: params, Seed: cfg.Seed, TrainSteps: uint32(cfg.TrainSteps)})
	if err != nil {
		return plugins.EncoderInfo{}, err
	}
	return plugins.EncoderInfo{Dim: int(w.GetDim()), Sparse: w.GetSparse(), CollectionStats: w.GetCollectionStats()}, nil
}

func (c *encoderClient) LoadCorpus(ctx context.Context, req plugins.LoadCorpusRequest) error {
	groups := req.Groups
	stream, err := c.rpc.LoadCorpus(ctx)
	if err != nil {
		return err
	}
	sent := 0
	for start := 0; start < len(groups) || start == 0; start += corpusChunkGroups {
		end := min(start+corpusChunkGroups, len(groups))
		chunk := &pb.CorpusChunk{Groups: make([]*pb.CorpusGroup, 0, end-start)}
		for _, g := range groups[start:end] {
			wg := &pb.CorpusGroup{Id: g.ID, Texts: make([]*pb.Text, len(g.Texts))}
			for i, t := range g.Texts {
				wg.Texts[i] = &pb.Text{Lang: c.langs.id(t.Lang), Role: roleToWire(t.Role), Text: t.Text}
			}
			chunk.Groups = append(chunk.Groups, wg)
		}
		// Each chunk carries the languages interned since the last one.
		chunk.Languages = c.langs.names[sent:]
		sent = len(c.langs.names)
		if err := stream.Send(chunk); err != nil {
			if errors.Is(err, io.EOF) {
				_, err = stream.CloseAndRecv()
			}
			return err
		}
		if end == len(groups) {
			break
		}
	}
	_, err = stream.CloseAndRecv()
	return err
}

func (c *encoderClient) checkLangs(b plugins.Batch) error {
	for _, p := range b {
		if _, ok := c.langs.index[p.QueryLang]; !ok {
			return errors.New("batch names language " + p.QueryLang + " absent from the loaded corpus")
		}
		if _, ok := c.langs.index[p.PassageLang]; !ok {
			return errors.New("batch names language " + p.PassageLang + " absent from the loaded corpus")
		}
	}
	return nil
}

func (c *encoderClient) TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error) {
	if err := c.checkLangs(req.Batch); err != nil {
		return plugins.TrainStepResult{}, err
	}
	resp, err := c.rpc.TrainStep(ctx, batchToWire(req.Batch, c.langs))
	if err != nil {
		return plugins.TrainStepResult{}, err
	}
	return stepFromWire(resp), nil
}

func stepFromWire(w *pb.TrainStepResponse) plugins.TrainStepResult {
	return plugins.TrainStepResult{Loss: w.GetLoss(), PairLoss: float64s(w.GetPairLoss())}
}

// TrainSteps trains on the batches in order and returns their results,
// pipelined over one stream: the batches are all sent at once and the
// plugin never waits for the host between steps. On an error it returns the
// results of the steps that were taken. A plugin without the TrainSteps RPC
// is driven by TrainStep calls.
func (c *encoderClient) TrainSteps(ctx context.Context, bs []plugins.Batch) ([]plugins.TrainStepResult, error) {
	for _, b := range bs {
		if err := c.checkLangs(b); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.TrainSteps(ctx)
	if err != nil {
		return nil, err
	}
	go func() {
		for _, b := range bs {
			if stream.Send(batchToWire(b, c.langs)) != nil {
				return // Recv reports the stream's failure
			}
		}
		stream.CloseSend()
	}()
	steps := make([]plugins.TrainStepResult, 0, len(bs))
	for len(steps) < len(bs) {
		resp, err := stream.Recv()
		if status.Code(err) == codes.Unimplemented && len(steps) == 0 {
			return stepByStep(ctx, c, bs)
		}
		if err == io.EOF {
			err = fmt.Errorf("plugin ended the stream after %d of %d steps", len(steps), len(bs))
		}
		if err != nil {
			return steps, err
		}
		steps = append(steps, stepFromWire(resp))
	}
	return steps, nil
}

// Stepper is what takes training steps: an Encoder, or anything with its
// TrainStep.
type Stepper interface {
	TrainStep(ctx context.Context, req plugins.TrainStepRequest) (plugins.TrainStepResult, error)
}

// TrainSteps takes one step per batch, in order, and returns the results of
// the steps taken (all of them unless there is an error). A plugin client
// (or a proxy around one) pipelines the steps over one stream, so that no
// step waits for a round trip to the plugin process; anything else is
// called step by step.
func TrainSteps(ctx context.Context, s Stepper, bs []plugins.Batch) ([]plugins.TrainStepResult, error) {
	if m, ok := s.(interface {
		TrainSteps(context.Context, []plugins.Batch) ([]plugins.TrainStepResult, error)
	}); ok {
		return m.TrainSteps(ctx, bs)
	}
	return stepByStep(ctx, s, bs)
}

func stepByStep(ctx context.Context, s Stepper, bs []plugins.Batch) ([]plugins.TrainStepResult, error) {
	out := make([]plugins.TrainStepResult, 0, len(bs))
	for _, b := range bs {
		r, err := s.TrainStep(ctx, plugins.TrainStepRequest{Batch: b})
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (c *encoderClient) Prepare(ctx context.Context, req plugins.PrepareRequest) error {
	_, err := c.rpc.Prepare(ctx, &pb.PrepareRequest{Lang: req.Lang, Texts: req.Texts})
	return err
}

func (c *encoderClient) Encode(ctx context.Context, req plugins.EncodeRequest) (plugins.Vectors, error) {
	resp, err := c.rpc.Encode(ctx, &pb.EncodeRequest{Role: roleToWire(req.Role), Lang: req.Lang, Texts: req.Texts})
	if err != nil {
		return plugins.Vectors{}, err
	}
	v, err := vectorsFromWire(resp)
	if err != nil {
		return plugins.Vectors{}, err
	}
	if v.Count != len(req.Texts) {
		return plugins.Vectors{}, errors.New("encoder returned a different number of vectors than texts")
	}
	return v, nil
}

func (c *encoderClient) Save(ctx context.Context, req plugins.SaveRequest) error {
	_, err := c.rpc.Save(ctx, &pb.SaveRequest{Path: req.Path})
	return err
}

type encoderServer struct {
	pb.UnimplementedEncoderServer
	impl  plugins.Encoder
	langs []string
	// trainable is Info.Trainable, sent on the wire in EncoderInfo too.
	trainable bool
}

func (s *encoderServer) Describe(ctx context.Context, _ *pb.Empty) (*pb.PluginInfo, error) {
	info, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	return infoToWire(info)
}

func (s *encoderServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.EncoderInfo, error) {
	info, err := s.impl.Configure(ctx, plugins.EncoderConfig{Params: paramsFromWire(req.GetParams()), Seed: req.GetSeed(), TrainSteps: int(req.GetTrainSteps())})
	if err != nil {
		return nil, err
	}
	desc, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	s.trainable = desc.Trainable
	return &pb.EncoderInfo{Dim: uint32(info.Dim), Sparse: info.Sparse, Trainable: desc.Trainable, CollectionStats: info.CollectionStats}, nil
}

func (s *encoderServer) LoadCorpus(stream pb.Encoder_LoadCorpusServer) error {
	var groups []plugins.CorpusGroup
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		s.langs = append(s.langs, chunk.GetLanguages()...)
		for _, wg := range chunk.GetGroups() {
			g := plugins.CorpusGroup{ID: wg.GetId(), Texts: make([]plugins.Text, len(wg.GetTexts()))}
			for i, wt := range wg.GetTexts() {
				lang, err := langName(s.langs, wt.GetLang())
				if err != nil {
					return status.Errorf(codes.InvalidArgument, "group %d: %v", g.ID, err)
				}
				role, err := roleFromWire(wt.GetRole())
				if err != nil {
					return status.Errorf(codes.InvalidArgument, "group %d: %v", g.ID, err)
				}
				g.Texts[i] = plugins.Text{Lang: lang, Role: role, Text: wt.GetText()}
			}
			groups = append(groups, g)
		}
	}
	if err := s.impl.LoadCorpus(stream.Context(), plugins.LoadCorpusRequest{Groups: groups}); err != nil {
		return err
	}
	return stream.SendAndClose(&pb.Empty{})
}

func (s *encoderServer) TrainStep(ctx context.Context, w *pb.Batch) (*pb.TrainStepResponse, error) {
	b, err := batchFromWire(w, s.langs)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return s.step(ctx, b)
}

// step trains on b and answers with the loss and the pair losses the
// implementation reports.
func (s *encoderServer) step(ctx context.Context, b plugins.Batch) (*pb.TrainStepResponse, error) {
	r, err := s.impl.TrainStep(ctx, plugins.TrainStepRequest{Batch: b})
	if err != nil {
		return nil, err
	}
	if r.PairLoss != nil && len(r.PairLoss) != len(b) {
		return nil, fmt.Errorf("encoder reported %d pair losses for a batch of %d", len(r.PairLoss), len(b))
	}
	return &pb.TrainStepResponse{Loss: r.Loss, PairLoss: float32s(r.PairLoss)}, nil
}

// TrainSteps takes the batches in order and answers one loss per batch,
// but holds the answers while more batches are waiting, sending them when
// it has caught up with the host (at the end of a chunk) or has to stop.
// An answer sent after every step wakes the host, and the plugin's own
// send path, in the middle of the next step: on two cores that cost the
// step's parallel parts 5–12 % of training time, against 0.2 % with the
// answers held.
func (s *encoderServer) TrainSteps(stream pb.Encoder_TrainStepsServer) error {
	type received struct {
		batch *pb.Batch
		err   error
	}
	in := make(chan received, 64)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			w, err := stream.Recv()
			select {
			case in <- received{w, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var pending []*pb.TrainStepResponse
	flush := func() error {
		for _, r := range pending {
			if err := stream.Send(r); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	for {
		var r received
		select {
		case r = <-in:
		default:
			// No batch waiting: answer the steps taken before waiting.
			if err := flush(); err != nil {
				return err
			}
			r = <-in
		}
		if r.err == io.EOF {
			return flush()
		}
		if r.err != nil {
			return r.err
		}
		b, err := batchFromWire(r.batch, s.langs)
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return status.Error(codes.InvalidArgument, err.Error())
		}
		resp, err := s.step(stream.Context(), b)
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return err
		}
		pending = append(pending, resp)
	}
}

func (s *encoderServer) Prepare(ctx context.Context, req *pb.PrepareRequest) (*pb.Empty, error) {
	if err := s.impl.Prepare(ctx, plugins.PrepareRequest{Lang: req.GetLang(), Texts: req.GetTexts()}); err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}

func (s *encoderServer) Encode(ctx context.Context, req *pb.EncodeRequest) (*pb.EncodeResponse, error) {
	role, err := roleFromWire(req.GetRole())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	v, err := s.impl.Encode(ctx, plugins.EncodeRequest{Role: role, Lang: req.GetLang(), Texts: req.GetTexts()})
	if err != nil {
		return nil, err
	}
	return vectorsToWire(v)
}

func (s *encoderServer) Save(ctx context.Context, req *pb.SaveRequest) (*pb.Empty, error) {
	if err := s.impl.Save(ctx, plugins.SaveRequest{Path: req.GetPath()}); err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}
