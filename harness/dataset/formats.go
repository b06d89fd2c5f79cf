package dataset

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Dataset roles: evaluation data is never trained on.
const (
	RoleEvaluate = "evaluate"
	RoleTrain    = "train"
)

// Decl is a dataset as a spec declares it: a name, a path in the data
// directory and, optionally, the languages to keep.
type Decl struct {
	Name      string
	Path      string
	Languages []string
}

// Format is one dataset format: the role it fills, which files under a
// dataset's path hold its data (cell ids hash exactly those), and its
// loader. This registry is the one place a format is named: spec checking,
// loading and cell ids all read it.
type Format struct {
	Name string
	Role string
	// Doc says in a line what the format holds, for diagnostics.
	Doc string
	// dataFile reports whether a file under the dataset's path (its base
	// name, any ".gz" removed) is one of the format's data files.
	dataFile  func(base string) bool
	loadTrain func(s *Store, d Decl) (*TrainCorpus, error)
	loadEval  func(s *Store, d Decl) (*Collection, error)
}

// DataFile reports whether the file rel (relative to the data directory)
// is one of the format's data files.
func (f Format) DataFile(rel string) bool {
	return f.dataFile(strings.TrimSuffix(path.Base(rel), ".gz"))
}

// LoadTrain loads a training dataset of this format.
func (f Format) LoadTrain(s *Store, d Decl) (*TrainCorpus, error) {
	if f.loadTrain == nil {
		return nil, fmt.Errorf("dataset %q: format %q is not a training format", d.Name, f.Name)
	}
	c, err := f.loadTrain(s, d)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", d.Name, err)
	}
	return c, nil
}

// LoadEval loads an evaluation dataset of this format.
func (f Format) LoadEval(s *Store, d Decl) (*Collection, error) {
	if f.loadEval == nil {
		return nil, fmt.Errorf("dataset %q: format %q is not an evaluation format", d.Name, f.Name)
	}
	c, err := f.loadEval(s, d)
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", d.Name, err)
	}
	return c, nil
}

func hasExt(exts ...string) func(string) bool {
	return func(base string) bool {
		for _, e := range exts {
			if strings.HasSuffix(base, e) {
				return true
			}
		}
		return false
	}
}

var formats = map[string]Format{
	"lareqa": {
		Name: "lareqa", Role: RoleEvaluate,
		Doc:      "LAReQA retrieval JSON, one <lang>.json per language (XQuAD-R, MLQA-R)",
		dataFile: hasExt(".json"),
		loadEval: func(s *Store, d Decl) (*Collection, error) {
			langs := d.Languages
			if len(langs) == 0 {
				var err error
				if langs, err = s.Languages(d.Path); err != nil {
					return nil, err
				}
				if len(langs) == 0 {
					return nil, fmt.Errorf("no <lang>.json or <lang>.json.gz files in %s", path.Join(s.Dir, d.Path))
				}
			}
			return LoadLAReQA(s, d.Name, d.Path, langs)
		},
	},
	"flores": {
		Name: "flores", Role: RoleEvaluate,
		Doc:      "FLORES-200 <code>_<Script>.devtest files, line-aligned: bitext retrieval, each sentence against its translations",
		dataFile: hasExt(".devtest"),
		loadEval: func(s *Store, d Decl) (*Collection, error) { return LoadFLORES(s, d.Name, d.Path, d.Languages) },
	},
	"mlqa": {
		Name: "mlqa", Role: RoleTrain,
		Doc:       "MLQA files <split>-context-C-question-Q.json, QA pairs joined on id",
		dataFile:  hasExt(".json"),
		loadTrain: func(s *Store, d Decl) (*TrainCorpus, error) { return LoadMLQA(s, d.Name, d.Path, d.Languages) },
	},
	"squad": {
		Name: "squad", Role: RoleTrain,
		Doc:      "one SQuAD v1.1 file in one language (the first of languages, default en)",
		dataFile: hasExt(".json"),
		loadTrain: func(s *Store, d Decl) (*TrainCorpus, error) {
			lang := "en"
			if len(d.Languages) > 0 {
				lang = d.Languages[0]
			}
			return LoadSQuAD(s, d.Name, d.Path, lang)
		},
	},
	"xnli": {
		Name: "xnli", Role: RoleTrain,
		Doc:       "XNLI dev/test TSV per language, line-aligned: premises and hypotheses as translation groups",
		dataFile:  hasExt(".tsv"),
		loadTrain: func(s *Store, d Decl) (*TrainCorpus, error) { return LoadXNLI(s, d.Name, d.Path, d.Languages) },
	},
	"ntrex": {
		Name: "ntrex", Role: RoleTrain,
		Doc:       "NTREX-128 newstest2019 files, line-aligned across languages: translation groups",
		dataFile:  hasExt(".txt"),
		loadTrain: func(s *Store, d Decl) (*TrainCorpus, error) { return LoadNTREX(s, d.Name, d.Path, d.Languages) },
	},
	"tatoeba": {
		Name: "tatoeba", Role: RoleTrain,
		Doc:       "Tatoeba X–English bitext (tatoeba.xxx-eng.{xxx,eng}): two-language translation groups",
		dataFile:  func(base string) bool { return strings.HasPrefix(base, "tatoeba.") },
		loadTrain: func(s *Store, d Decl) (*TrainCorpus, error) { return LoadTatoeba(s, d.Name, d.Path, d.Languages) },
	},
}

// LookupFormat returns the format called name.
func LookupFormat(name string) (Format, bool) {
	f, ok := formats[name]
	return f, ok
}

// FormatNames lists the formats, sorted.
func FormatNames() []string {
	out := make([]string, 0, len(formats))
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
