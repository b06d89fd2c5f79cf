package dataset

import "fmt"

// floresFiles names FLORES-200's file of each XQuAD-R language: its ISO
// 639-3 code and script.
var floresFiles = map[string]string{
	"ar": "arb_Arab", "de": "deu_Latn", "el": "ell_Grek", "en": "eng_Latn", "es": "spa_Latn", "hi": "hin_Deva",
	"ru": "rus_Cyrl", "th": "tha_Thai", "tr": "tur_Latn", "vi": "vie_Latn", "zh": "zho_Hans",
}

// LoadFLORES loads FLORES-200's devtest split from dir (<code>_<Script>
// .devtest, one sentence a line, line i the same sentence in every
// language) as a bitext-retrieval collection: every sentence is a
// question whose relevant candidates are its translations, one in each
// other language, and every sentence a candidate. The question id is the
// line number, shared by the translations, so tests and intervals resample
// a sentence with all its translations.
func LoadFLORES(s *Store, name, dir string, langs []string) (*Collection, error) {
	langs, err := keepLangs(ParallelLanguages, langs, "flores")
	if err != nil {
		return nil, err
	}
	if len(langs) < 2 {
		return nil, fmt.Errorf("bitext retrieval needs two languages or more, not %v", langs)
	}
	cols, err := alignedColumns(s, langs, func(l string) string { return dir + "/" + floresFiles[l] + ".devtest" }, -1)
	if err != nil {
		return nil, err
	}
	n := len(cols[langs[0]])
	c := &Collection{Name: name, Languages: langs, Bitext: true, cands: map[string]span{}, questions: map[string]span{}}
	for _, l := range langs {
		lo := len(c.Candidates)
		for i, text := range cols[l] {
			c.Candidates = append(c.Candidates, Candidate{ID: fmt.Sprintf("%s:%d", l, i+1), Lang: l, Text: text, Context: text})
		}
		c.cands[l] = span{lo, len(c.Candidates)}
	}
	for li, l := range langs {
		lo := len(c.Questions)
		for i, text := range cols[l] {
			q := Question{ID: fmt.Sprintf("%04d", i+1), Lang: l, Text: text}
			for lj := range langs {
				if lj != li {
					r := lj*n + i
					q.Relevant = append(q.Relevant, r)
					q.RelevantIDs = append(q.RelevantIDs, c.Candidates[r].ID)
				}
			}
			c.Questions = append(c.Questions, q)
		}
		c.questions[l] = span{lo, len(c.Questions)}
	}
	return c, nil
}
