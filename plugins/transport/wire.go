package transport

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/xlbench/xlbench/plugins"
	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"
)

// Conversions between the Go API and the generated wire types.

func paramsToWire(p plugins.Params) (*structpb.Struct, error) {
	m := make(map[string]any, len(p))
	for k, v := range p {
		switch l := v.(type) {
		case []float64:
			a := make([]any, len(l))
			for i, f := range l {
				a[i] = f
			}
			m[k] = a
		case []string:
			a := make([]any, len(l))
			for i, s := range l {
				a[i] = s
			}
			m[k] = a
		default:
			m[k] = v
		}
	}
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil, fmt.Errorf("encoding params: %w", err)
	}
	return s, nil
}

func paramsFromWire(s *structpb.Struct) plugins.Params {
	if s == nil {
		return plugins.Params{}
	}
	return plugins.Params(s.AsMap())
}

var paramTypeToWire = map[plugins.ParamType]pb.ParamType{
	plugins.ParamNumber:     pb.ParamType_PARAM_TYPE_NUMBER,
	plugins.ParamInteger:    pb.ParamType_PARAM_TYPE_INTEGER,
	plugins.ParamString:     pb.ParamType_PARAM_TYPE_STRING,
	plugins.ParamBool:       pb.ParamType_PARAM_TYPE_BOOL,
	plugins.ParamNumberList: pb.ParamType_PARAM_TYPE_NUMBER_LIST,
	plugins.ParamStringList: pb.ParamType_PARAM_TYPE_STRING_LIST,
}

func infoToWire(info plugins.Info) (*pb.PluginInfo, error) {
	out := &pb.PluginInfo{Name: info.Name, Version: info.Version, Description: info.Description, Trainable: info.Trainable,
		ObservesTraining: info.ObservesTraining}
	for _, s := range info.Params {
		ws := &pb.ParamSpec{
			Name:        s.Name,
			Type:        paramTypeToWire[s.Type],
			Description: s.Description,
			OneOf:       s.OneOf,
		}
		if s.Default != nil {
			def, err := paramsToWire(plugins.Params{"v": s.Default})
			if err != nil {
				return nil, fmt.Errorf("default of %q: %w", s.Name, err)
			}
			ws.Default = def.Fields["v"]
		}
		if s.Min != nil {
			ws.HasMin, ws.Min = true, *s.Min
		}
		if s.Max != nil {
			ws.HasMax, ws.Max = true, *s.Max
		}
		out.Params = append(out.Params, ws)
	}
	return out, nil
}

func infoFromWire(w *pb.PluginInfo) (plugins.Info, error) {
	info := plugins.Info{Name: w.GetName(), Version: w.GetVersion(), Description: w.GetDescription(), Trainable: w.GetTrainable(),
		ObservesTraining: w.GetObservesTraining()}
	for _, ws := range w.GetParams() {
		s := plugins.ParamSpec{Name: ws.GetName(), Description: ws.GetDescription(), OneOf: ws.GetOneOf()}
		for t, wt := range paramTypeToWire {
			if wt == ws.GetType() {
				s.Type = t
			}
		}
		if s.Type == 0 {
			return plugins.Info{}, fmt.Errorf("parameter %q has unknown type %v", s.Name, ws.GetType())
		}
		if ws.GetHasMin() {
			s.Min = plugins.Bound(ws.GetMin())
		}
		if ws.GetHasMax() {
			s.Max = plugins.Bound(ws.GetMax())
		}
		if ws.GetDefault() != nil {
			checked, err := plugins.CheckParams([]plugins.ParamSpec{s}, plugins.Params{s.Name: ws.GetDefault().AsInterface()})
			if err != nil {
				return plugins.Info{}, fmt.Errorf("default of parameter %q: %w", s.Name, err)
			}
			s.Default = checked[s.Name]
		}
		info.Params = append(info.Params, s)
	}
	return info, nil
}

// langTable interns language codes as small integers for the wire.
type langTable struct {
	names []string
	index map[string]uint32
}

func newLangTable() *langTable { return &langTable{index: map[string]uint32{}} }

func (t *langTable) id(lang string) uint32 {
	if i, ok := t.index[lang]; ok {
		return i
	}
	i := uint32(len(t.names))
	t.names = append(t.names, lang)
	t.index[lang] = i
	return i
}

func (t *langTable) ids(langs []string) []uint32 {
	out := make([]uint32, len(langs))
	for i, l := range langs {
		out[i] = t.id(l)
	}
	return out
}

func langName(names []string, i uint32) (string, error) {
	if int(i) >= len(names) {
		return "", fmt.Errorf("language index %d outside the table of %d languages", i, len(names))
	}
	return names[i], nil
}

func langNames(names []string, ids []uint32) ([]string, error) {
	out := make([]string, len(ids))
	for i, id := range ids {
		n, err := langName(names, id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func batchToWire(b plugins.Batch, t *langTable) *pb.Batch {
	w := &pb.Batch{
		Group:       make([]uint32, len(b)),
		QueryLang:   make([]uint32, len(b)),
		PassageLang: make([]uint32, len(b)),
	}
	for i, p := range b {
		w.Group[i] = p.Group
		w.QueryLang[i] = t.id(p.QueryLang)
		w.PassageLang[i] = t.id(p.PassageLang)
	}
	return w
}

func batchFromWire(w *pb.Batch, names []string) (plugins.Batch, error) {
	n := len(w.GetGroup())
	if len(w.GetQueryLang()) != n || len(w.GetPassageLang()) != n {
		return nil, fmt.Errorf("malformed batch: %d groups, %d query languages, %d passage languages",
			n, len(w.GetQueryLang()), len(w.GetPassageLang()))
	}
	b := make(plugins.Batch, n)
	for i := range b {
		ql, err := langName(names, w.QueryLang[i])
		if err != nil {
			return nil, err
		}
		pl, err := langName(names, w.PassageLang[i])
		if err != nil {
			return nil, err
		}
		b[i] = plugins.Pair{Group: w.Group[i], QueryLang: ql, PassageLang: pl}
	}
	return b, nil
}

func roleToWire(r plugins.Role) pb.Role {
	switch r {
	case plugins.RoleQuery:
		return pb.Role_ROLE_QUERY
	case plugins.RolePassage:
		return pb.Role_ROLE_PASSAGE
	}
	return pb.Role_ROLE_UNSPECIFIED
}

func roleFromWire(r pb.Role) (plugins.Role, error) {
	switch r {
	case pb.Role_ROLE_QUERY:
		return plugins.RoleQuery, nil
	case pb.Role_ROLE_PASSAGE:
		return plugins.RolePassage, nil
	}
	return 0, fmt.Errorf("unspecified role")
}

func vectorsToWire(v plugins.Vectors) (*pb.EncodeResponse, error) {
	out := &pb.EncodeResponse{Count: uint32(v.Count), Dim: uint32(v.Dim)}
	if v.Sparse != nil {
		if v.Sparse.Len() != v.Count {
			return nil, fmt.Errorf("encoder returned %d sparse vectors for %d texts", v.Sparse.Len(), v.Count)
		}
		out.Sparse = &pb.SparseVectors{Offsets: v.Sparse.Offsets, Terms: v.Sparse.Terms, Weights: v.Sparse.Weights}
		if v.Dim == 0 {
			return out, nil
		}
	}
	if len(v.Dense) != v.Count*v.Dim {
		return nil, fmt.Errorf("encoder returned %d floats for %d vectors of dimension %d", len(v.Dense), v.Count, v.Dim)
	}
	buf := make([]byte, 4*len(v.Dense))
	for i, f := range v.Dense {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(f))
	}
	out.Dense = buf
	return out, nil
}

func vectorsFromWire(w *pb.EncodeResponse) (plugins.Vectors, error) {
	v := plugins.Vectors{Count: int(w.GetCount()), Dim: int(w.GetDim())}
	if s := w.GetSparse(); s != nil {
		sv := &plugins.SparseVectors{Offsets: s.GetOffsets(), Terms: s.GetTerms(), Weights: s.GetWeights()}
		if sv.Len() != v.Count || len(sv.Terms) != len(sv.Weights) ||
			(len(sv.Offsets) > 0 && int(sv.Offsets[len(sv.Offsets)-1]) != len(sv.Terms)) {
			return plugins.Vectors{}, fmt.Errorf("malformed sparse vectors")
		}
		// Each row's terms are Terms[Offsets[i]:Offsets[i+1]]: offsets
		// start at 0 and never go back.
		for i, o := range sv.Offsets {
			if i == 0 && o != 0 || i > 0 && o < sv.Offsets[i-1] {
				return plugins.Vectors{}, fmt.Errorf("malformed sparse vectors: offset %d is %d, after %d", i, o, sv.Offsets[max(i-1, 0)])
			}
		}
		v.Sparse = sv
		if v.Dim == 0 {
			return v, nil
		}
	}
	// Count and Dim are uint32s on the wire: their product is compared in
	// 64 bits, where it cannot overflow (a crafted pair whose product wraps
	// would otherwise pass the check and ask for an impossible slice).
	if n := uint64(len(w.GetDense())); n%4 != 0 || n/4 != uint64(w.GetCount())*uint64(w.GetDim()) {
		return plugins.Vectors{}, fmt.Errorf("dense block has %d bytes, want %d vectors × %d dims × 4", len(w.GetDense()), v.Count, v.Dim)
	}
	v.Dense = make([]float32, v.Count*v.Dim)
	for i := range v.Dense {
		v.Dense[i] = math.Float32frombits(binary.LittleEndian.Uint32(w.Dense[4*i:]))
	}
	return v, nil
}

func feedbackToWire(f plugins.Feedback, t *langTable) *pb.Feedback {
	w := &pb.Feedback{FirstStep: uint64(f.FirstStep), StepLoss: f.StepLoss}
	for _, p := range f.PairLoss {
		w.PairLoss = append(w.PairLoss, &pb.PairLoss{QueryLang: t.id(p.QueryLang), PassageLang: t.id(p.PassageLang),
			Mean: p.Mean, Pairs: uint32(p.Pairs)})
	}
	return w
}

func feedbackFromWire(w *pb.Feedback, names []string) (plugins.Feedback, error) {
	f := plugins.Feedback{FirstStep: int(w.GetFirstStep()), StepLoss: w.GetStepLoss()}
	for _, p := range w.GetPairLoss() {
		q, err := langName(names, p.GetQueryLang())
		if err != nil {
			return plugins.Feedback{}, err
		}
		d, err := langName(names, p.GetPassageLang())
		if err != nil {
			return plugins.Feedback{}, err
		}
		f.PairLoss = append(f.PairLoss, plugins.PairLoss{QueryLang: q, PassageLang: d, Mean: p.GetMean(), Pairs: int(p.GetPairs())})
	}
	return f, nil
}

func float32s(xs []float64) []float32 {
	if xs == nil {
		return nil
	}
	out := make([]float32, len(xs))
	for i, x := range xs {
		out[i] = float32(x)
	}
	return out
}

func float64s(xs []float32) []float64 {
	if len(xs) == 0 {
		return nil
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
