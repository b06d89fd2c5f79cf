package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xlbench/xlbench/plugins"
	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"
)

// SamplerPlugin is the go-plugin plugin for the Sampler kind. Impl is set on
// the plugin side and nil on the host side.
type SamplerPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl plugins.Sampler
}

// GRPCServer registers the sampler implementation.
func (p *SamplerPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterSamplerServer(s, &samplerServer{impl: p.Impl})
	return nil
}

// GRPCClient returns a Sampler that calls the plugin.
func (p *SamplerPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &samplerClient{rpc: pb.NewSamplerClient(c)}, nil
}

type samplerClient struct {
	rpc   pb.SamplerClient
	langs []string
}

func (c *samplerClient) Describe(ctx context.Context) (plugins.Info, error) {
	w, err := c.rpc.Describe(ctx, &pb.Empty{})
	if err != nil {
		return plugins.Info{}, err
	}
	return infoFromWire(w)
}

func (c *samplerClient) Start(ctx context.Context, cfg plugins.SamplerConfig) error {
	params, err := paramsToWire(cfg.Params)
	if err != nil {
		return err
	}
	t := newLangTable()
	groups := make([]*pb.Group, len(cfg.Corpus.Groups))
	for i, g := range cfg.Corpus.Groups {
		groups[i] = &pb.Group{Id: g.ID, Kind: pb.GroupKind(g.Kind), QueryLangs: t.ids(g.QueryLangs), PassageLangs: t.ids(g.PassageLangs)}
	}
	_, err = c.rpc.Start(ctx, &pb.SamplerStartRequest{
		Corpus:    &pb.CorpusSummary{Languages: t.names, Groups: groups},
		BatchSize: uint32(cfg.BatchSize),
		Params:    params,
		Seed:      cfg.Seed,
		Steps:     uint32(cfg.Steps),
	})
	if err != nil {
		return err
	}
	c.langs = t.names
	return nil
}

func (c *samplerClient) Next(ctx context.Context, req plugins.NextRequest) ([]plugins.Batch, error) {
	n := req.Count
	resp, err := c.rpc.Next(ctx, &pb.NextRequest{Count: uint32(n)})
	if err != nil {
		return nil, err
	}
	if len(resp.GetBatches()) != n {
		return nil, fmt.Errorf("sampler returned %d batches, asked for %d", len(resp.GetBatches()), n)
	}
	out := make([]plugins.Batch, n)
	for i, w := range resp.GetBatches() {
		if out[i], err = batchFromWire(w, c.langs); err != nil {
			return nil, fmt.Errorf("batch %d: %w", i, err)
		}
	}
	return out, nil
}

// Observe sends a chunk's feedback to an observing sampler.
func (c *samplerClient) Observe(ctx context.Context, f plugins.Feedback) error {
	if c.langs == nil {
		return errors.New("Observe called before Start")
	}
	t := newLangTable()
	for _, n := range c.langs {
		t.id(n)
	}
	for _, p := range f.PairLoss {
		if _, ok := t.index[p.QueryLang]; !ok {
			return fmt.Errorf("feedback names language %s, which the corpus does not have", p.QueryLang)
		}
		if _, ok := t.index[p.PassageLang]; !ok {
			return fmt.Errorf("feedback names language %s, which the corpus does not have", p.PassageLang)
		}
	}
	_, err := c.rpc.Observe(ctx, feedbackToWire(f, t))
	return err
}

type samplerServer struct {
	pb.UnimplementedSamplerServer
	impl  plugins.Sampler
	langs *langTable
}

func (s *samplerServer) Describe(ctx context.Context, _ *pb.Empty) (*pb.PluginInfo, error) {
	info, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	return infoToWire(info)
}

func (s *samplerServer) Start(ctx context.Context, req *pb.SamplerStartRequest) (*pb.Empty, error) {
	names := req.GetCorpus().GetLanguages()
	groups := make([]plugins.Group, len(req.GetCorpus().GetGroups()))
	for i, g := range req.GetCorpus().GetGroups() {
		q, err := langNames(names, g.GetQueryLangs())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "group %d: %v", g.GetId(), err)
		}
		p, err := langNames(names, g.GetPassageLangs())
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "group %d: %v", g.GetId(), err)
		}
		groups[i] = plugins.Group{ID: g.GetId(), Kind: plugins.GroupKind(g.GetKind()), QueryLangs: q, PassageLangs: p}
	}
	err := s.impl.Start(ctx, plugins.SamplerConfig{
		Corpus:    plugins.CorpusSummary{Groups: groups},
		BatchSize: int(req.GetBatchSize()),
		Params:    paramsFromWire(req.GetParams()),
		Seed:      req.GetSeed(),
		Steps:     int(req.GetSteps()),
	})
	if err != nil {
		return nil, err
	}
	// Answer with the host's own language table so indices mean the same
	// on both sides.
	s.langs = newLangTable()
	for _, n := range names {
		s.langs.id(n)
	}
	return &pb.Empty{}, nil
}

func (s *samplerServer) Next(ctx context.Context, req *pb.NextRequest) (*pb.NextResponse, error) {
	if s.langs == nil {
		return nil, status.Error(codes.FailedPrecondition, "Next called before Start")
	}
	batches, err := s.impl.Next(ctx, plugins.NextRequest{Count: int(req.GetCount())})
	if err != nil {
		return nil, err
	}
	out := &pb.NextResponse{Batches: make([]*pb.Batch, len(batches))}
	for i, b := range batches {
		for _, p := range b {
			if _, ok := s.langs.index[p.QueryLang]; !ok {
				return nil, status.Errorf(codes.Internal, "batch %d names query language %q, which the corpus does not have", i, p.QueryLang)
			}
			if _, ok := s.langs.index[p.PassageLang]; !ok {
				return nil, status.Errorf(codes.Internal, "batch %d names passage language %q, which the corpus does not have", i, p.PassageLang)
			}
		}
		out.Batches[i] = batchToWire(b, s.langs)
	}
	return out, nil
}

func (s *samplerServer) Observe(ctx context.Context, w *pb.Feedback) (*pb.Empty, error) {
	o, ok := s.impl.(plugins.Observer)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "this sampler does not observe training")
	}
	if s.langs == nil {
		return nil, status.Error(codes.FailedPrecondition, "Observe called before Start")
	}
	f, err := feedbackFromWire(w, s.langs.names)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := o.Observe(ctx, f); err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}
