package dataset

import (
	"bufio"
	"fmt"
	"slices"
	"strings"

	"github.com/xlbench/xlbench/plugins"
)

// Parallel-sentence training data. Each loader turns line-aligned
// translations into translation groups (Kind plugins.GroupTranslation): one
// sentence in several languages, offered on both sides of the model, of
// which samplers take cross-lingual pairs only (a same-language pair would
// be a sentence matched with itself).

// ParallelLanguages are the languages the parallel-sentence formats know:
// the eleven of XQuAD-R.
var ParallelLanguages = XQuADRLanguages

// readLines reads a line-aligned text file of the store: one record a line,
// the trailing newline (and a carriage return) removed.
func readLines(s *Store, rel string) ([]string, string, error) {
	rc, file, err := s.Open(rel)
	if err != nil {
		return nil, file, err
	}
	defer rc.Close()
	var lines []string
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, file, fmt.Errorf("%s: line %d: %w", file, len(lines)+1, err)
	}
	return lines, file, nil
}

// keepLangs returns the languages of all that langs selects (all of them
// when langs is empty), refusing unknown ones.
func keepLangs(all, langs []string, format string) ([]string, error) {
	if len(langs) == 0 {
		return all, nil
	}
	for _, l := range langs {
		if !slices.Contains(all, l) {
			return nil, fmt.Errorf("format %s has no language %q (it has %s)", format, l, strings.Join(all, " "))
		}
	}
	out := slices.Clone(langs)
	slices.Sort(out)
	return out, nil
}

// translationGroup makes a group offering the sentence of every language
// on both sides.
func translationGroup(key string, texts map[string]string) TrainGroup {
	return TrainGroup{Key: key, Kind: plugins.GroupTranslation, Queries: texts, Passages: texts, Answers: map[string]Answer{}}
}

// alignedColumns reads, for each language, one column of a line-aligned
// file per language and checks that every file has the same number of
// lines and no empty record. Column -1 takes the whole line.
func alignedColumns(s *Store, langs []string, rel func(lang string) string, column int) (map[string][]string, error) {
	cols := map[string][]string{}
	var first, firstFile string
	for _, l := range langs {
		lines, file, err := readLines(s, rel(l))
		if err != nil {
			return nil, err
		}
		if first != "" && len(lines) != len(cols[first]) {
			return nil, fmt.Errorf("%s has %d lines, but %s has %d: line-aligned files must have the same number of lines", file, len(lines), firstFile, len(cols[first]))
		}
		col := make([]string, len(lines))
		for i, line := range lines {
			text := line
			if column >= 0 {
				fields := strings.Split(line, "\t")
				if column >= len(fields) {
					return nil, fmt.Errorf("%s: line %d: no column %d", file, i+1, column+1)
				}
				text = fields[column]
			}
			if strings.TrimSpace(text) == "" {
				return nil, fmt.Errorf("%s: line %d: empty text", file, i+1)
			}
			col[i] = text
		}
		if first == "" {
			first, firstFile = l, file
		}
		cols[l] = col
	}
	return cols, nil
}

// LoadXNLI loads XNLI's dev-<lang>.tsv and test-<lang>.tsv files from dir:
// premise TAB hypothesis [TAB label], line i the same pair in every
// language. Each hypothesis is a group; each premise is one group too,
// though the files repeat it on consecutive lines (once per label).
func LoadXNLI(s *Store, name, dir string, langs []string) (*TrainCorpus, error) {
	langs, err := keepLangs(ParallelLanguages, langs, "xnli")
	if err != nil {
		return nil, err
	}
	c := &TrainCorpus{Name: name}
	for _, split := range []string{"dev", "test"} {
		file := func(l string) string { return dir + "/" + split + "-" + l + ".tsv" }
		premises, err := alignedColumns(s, langs, file, 0)
		if err != nil {
			return nil, err
		}
		hypotheses, err := alignedColumns(s, langs, file, 1)
		if err != nil {
			return nil, err
		}
		for i := range premises[langs[0]] {
			// A premise repeats on consecutive lines; it is one group.
			repeated := i > 0
			for _, l := range langs {
				repeated = repeated && premises[l][i] == premises[l][i-1]
			}
			if !repeated {
				c.Groups = append(c.Groups, translationGroup(fmt.Sprintf("xnli:%s:%d:premise", split, i+1), column(premises, langs, i)))
			}
			c.Groups = append(c.Groups, translationGroup(fmt.Sprintf("xnli:%s:%d:hypothesis", split, i+1), column(hypotheses, langs, i)))
		}
	}
	return c, nil
}

func column(cols map[string][]string, langs []string, i int) map[string]string {
	out := make(map[string]string, len(langs))
	for _, l := range langs {
		out[l] = cols[l][i]
	}
	return out
}

// ntrexFiles names NTREX-128's newstest2019 file of each language: the
// English source and the translations of it.
var ntrexFiles = map[string]string{
	"en": "newstest2019-src.eng.txt",
	"ar": "newstest2019-ref.arb.txt", "de": "newstest2019-ref.deu.txt", "el": "newstest2019-ref.ell.txt",
	"es": "newstest2019-ref.spa.txt", "hi": "newstest2019-ref.hin.txt", "ru": "newstest2019-ref.rus.txt",
	"th": "newstest2019-ref.tha.txt", "tr": "newstest2019-ref.tur.txt", "vi": "newstest2019-ref.vie.txt",
	"zh": "newstest2019-ref.zho-CN.txt",
}

// LoadNTREX loads NTREX-128's newstest2019 files from dir, line i of every
// file one translation group.
func LoadNTREX(s *Store, name, dir string, langs []string) (*TrainCorpus, error) {
	langs, err := keepLangs(ParallelLanguages, langs, "ntrex")
	if err != nil {
		return nil, err
	}
	cols, err := alignedColumns(s, langs, func(l string) string { return dir + "/" + ntrexFiles[l] }, -1)
	if err != nil {
		return nil, err
	}
	c := &TrainCorpus{Name: name}
	for i := range cols[langs[0]] {
		c.Groups = append(c.Groups, translationGroup(fmt.Sprintf("ntrex:%d", i+1), column(cols, langs, i)))
	}
	return c, nil
}

// tatoebaCodes maps the XQuAD languages other than English to Tatoeba's
// ISO 639-3 codes (Mandarin for zh).
var tatoebaCodes = map[string]string{
	"ar": "ara", "de": "deu", "el": "ell", "es": "spa", "hi": "hin", "ru": "rus",
	"th": "tha", "tr": "tur", "vi": "vie", "zh": "cmn",
}

// LoadTatoeba loads Tatoeba's X–English bitext from dir
// (tatoeba.xxx-eng.xxx and tatoeba.xxx-eng.eng, line-aligned): each line a
// two-language translation group. The English side differs per language,
// so the groups are not joined across languages.
func LoadTatoeba(s *Store, name, dir string, langs []string) (*TrainCorpus, error) {
	langs, err := keepLangs(ParallelLanguages, langs, "tatoeba")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(langs, "en") {
		return nil, fmt.Errorf("tatoeba pairs every language with English: its languages must include en")
	}
	c := &TrainCorpus{Name: name}
	for _, l := range langs {
		code, ok := tatoebaCodes[l]
		if !ok {
			continue
		}
		base := dir + "/tatoeba." + code + "-eng."
		cols, err := alignedColumns(s, []string{l, "en"}, func(x string) string {
			if x == "en" {
				return base + "eng"
			}
			return base + code
		}, -1)
		if err != nil {
			return nil, err
		}
		for i := range cols[l] {
			c.Groups = append(c.Groups, translationGroup(fmt.Sprintf("tatoeba:%s:%d", l, i+1), column(cols, []string{l, "en"}, i)))
		}
	}
	return c, nil
}
