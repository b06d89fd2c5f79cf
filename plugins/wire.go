package plugins

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/types/known/structpb"

	pb "github.com/xlbench/xlbench/plugins/internal/pb/xlbenchv1"
)

// Conversions between the Go API and the generated wire types.

func paramsToWire(p Params) (*structpb.Struct, error) {
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

func paramsFromWire(s *structpb.Struct) Params {
	if s == nil {
		return Params{}
	}
	return Params(s.AsMap())
}

var paramTypeToWire = map[ParamType]pb.ParamType{
	ParamNumber:     pb.ParamType_PARAM_TYPE_NUMBER,
	ParamInteger:    pb.ParamType_PARAM_TYPE_INTEGER,
	ParamString:     pb.ParamType_PARAM_TYPE_STRING,
	ParamBool:       pb.ParamType_PARAM_TYPE_BOOL,
	ParamNumberList: pb.ParamType_PARAM_TYPE_NUMBER_LIST,
	ParamStringList: pb.ParamType_PARAM_TYPE_STRING_LIST,
}

func infoToWire(info Info) (*pb.PluginInfo, error) {
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
			def, err := paramsToWire(Params{"v": s.Default})
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

func infoFromWire(w *pb.PluginInfo) (Info, error) {
	info := Info{Name: w.GetName(), Version: w.GetVersion(), Description: w.GetDescription(), Trainable: w.GetTrainable(),
		ObservesTraining: w.GetObservesTraining()}
	for _, ws := range w.GetParams() {
		s := ParamSpec{Name: ws.GetName(), Description: ws.GetDescription(), OneOf: ws.GetOneOf()}
		for t, wt := range paramTypeToWire {
			if wt == ws.GetType() {
				s.Type = t
			}
		}
		if s.Type == 0 {
			return Info{}, fmt.Errorf("parameter %q has unknown type %v", s.Name, ws.GetType())
		}
		if ws.GetHasMin() {
			s.Min = Bound(ws.GetMin())
		}
		if ws.GetHasMax() {
			s.Max = Bound(ws.GetMax())
		}
		if ws.GetDefault() != nil {
			def, err := coerce(s, ws.GetDefault().AsInterface())
			if err != nil {
				return Info{}, fmt.Errorf("default of parameter %q: %w", s.Name, err)
			}
			s.Default = def
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

func batchToWire(b Batch, t *langTable) *pb.Batch {
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

func batchFromWire(w *pb.Batch, names []string) (Batch, error) {
	n := len(w.GetGroup())
	if len(w.GetQueryLang()) != n || len(w.GetPassageLang()) != n {
		return nil, fmt.Errorf("malformed batch: %d groups, %d query languages, %d passage languages",
			n, len(w.GetQueryLang()), len(w.GetPassageLang()))
	}
	b := make(Batch, n)
	for i := range b {
		ql, err := langName(names, w.QueryLang[i])
		if err != nil {
			return nil, err
		}
		pl, err := langName(names, w.PassageLang[i])
		if err != nil {
			return nil, err
		}
		b[i] = Pair{Group: w.Group[i], QueryLang: ql, PassageLang: pl}
	}
	return b, nil
}

func roleToWire(r Role) pb.Role {
	switch r {
	case RoleQuery:
		return pb.Role_ROLE_QUERY
	case RolePassage:
		return pb.Role_ROLE_PASSAGE
	}
	return pb.Role_ROLE_UNSPECIFIED
}

func roleFromWire(r pb.Role) (Role, error) {
	switch r {
	case pb.Role_ROLE_QUERY:
		return RoleQuery, nil
	case pb.Role_ROLE_PASSAGE:
		return RolePassage, nil
	}
	return 0, fmt.Errorf("unspecified role")
}

func vectorsToWire(v Vectors) (*pb.EncodeResponse, error) {
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

func vectorsFromWire(w *pb.EncodeResponse) (Vectors, error) {
	v := Vectors{Count: int(w.GetCount()), Dim: int(w.GetDim())}
	if s := w.GetSparse(); s != nil {
		sv := &SparseVectors{Offsets: s.GetOffsets(), Terms: s.GetTerms(), Weights: s.GetWeights()}
		if sv.Len() != v.Count || len(sv.Terms) != len(sv.Weights) ||
			(len(sv.Offsets) > 0 && int(sv.Offsets[len(sv.Offsets)-1]) != len(sv.Terms)) {
			return Vectors{}, fmt.Errorf("malformed sparse vectors")
		}
		v.Sparse = sv
		if v.Dim == 0 {
			return v, nil
		}
	}
	if len(w.GetDense()) != 4*v.Count*v.Dim {
		return Vectors{}, fmt.Errorf("dense block has %d bytes, want %d vectors × %d dims × 4", len(w.GetDense()), v.Count, v.Dim)
	}
	v.Dense = make([]float32, v.Count*v.Dim)
	for i := range v.Dense {
		v.Dense[i] = math.Float32frombits(binary.LittleEndian.Uint32(w.Dense[4*i:]))
	}
	return v, nil
}

func feedbackToWire(f Feedback, t *langTable) *pb.Feedback {
	w := &pb.Feedback{FirstStep: uint64(f.FirstStep), StepLoss: f.StepLoss}
	for _, p := range f.PairLoss {
		w.PairLoss = append(w.PairLoss, &pb.PairLoss{QueryLang: t.id(p.QueryLang), PassageLang: t.id(p.PassageLang),
			Mean: p.Mean, Pairs: uint32(p.Pairs)})
	}
	return w
}

func feedbackFromWire(w *pb.Feedback, names []string) (Feedback, error) {
	f := Feedback{FirstStep: int(w.GetFirstStep()), StepLoss: w.GetStepLoss()}
	for _, p := range w.GetPairLoss() {
		q, err := langName(names, p.GetQueryLang())
		if err != nil {
			return Feedback{}, err
		}
		d, err := langName(names, p.GetPassageLang())
		if err != nil {
			return Feedback{}, err
		}
		f.PairLoss = append(f.PairLoss, PairLoss{QueryLang: q, PassageLang: d, Mean: p.GetMean(), Pairs: int(p.GetPairs())})
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
