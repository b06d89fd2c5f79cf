// Package dataset finds and loads the evaluation and training data: the
// data directory, downloads into the user cache, and the file formats.
package dataset

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"github.com/xlbench/xlbench/harness/lang"
)

// EnvDataDir names the environment variable that sets the data directory.
const EnvDataDir = "XLBENCH_DATA"

// SharedDataDir is the data directory used when present and nothing else is
// set, relative to the working directory.
const SharedDataDir = "../shared/data"

// Store is a data directory. Files are named by paths relative to it, such
// as "xquad-r/en.json"; each may be stored as is or gzipped (".gz" added).
type Store struct {
	Dir string
	// Origin says how Dir was chosen, for messages.
	Origin string
	// Download fetches a missing file from Sources when it has one.
	Download bool
	// Sources maps relative paths to their canonical download.
	Sources map[string]Source
	// Progress receives download progress bars; nil is silent.
	Progress io.Writer
	Client   *http.Client
	// MaxBytes bounds what one data file may hold, decompressed (0:
	// DefaultMaxFileBytes): a file that says more (a gzip bomb) is an
	// error naming it and the limit.
	MaxBytes int64
}

// DefaultMaxFileBytes is the largest data file read, decompressed, unless
// MaxFileEnv or a -max-file flag says otherwise: far above the largest
// real file (SQuAD's training set, 30 MB).
const DefaultMaxFileBytes = 1 << 30

// MaxFileEnv names the environment variable that sets Store.MaxBytes, in
// bytes.
const MaxFileEnv = "XLBENCH_MAX_FILE"

// maxBytes is the limit in force.
func (s *Store) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxFileBytes
}

// Source is where a data file comes from and the sha256 of its bytes (as
// served, uncompressed).
type Source struct {
	URL    string
	SHA256 string
}

// ParseMaxFile reads $XLBENCH_MAX_FILE's value v, a positive number of
// bytes; "" is 0, the default limit.
func ParseMaxFile(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("$%s=%q: want a positive number of bytes", MaxFileEnv, v)
	}
	return n, nil
}

// Location is where the command was told the data is: the -data flag
// and the values of $XLBENCH_DATA (EnvDataDir) and $XLBENCH_MAX_FILE
// (MaxFileEnv), "" where unset. Package cli reads them; the store reads no
// environment.
type Location struct {
	Flag, EnvDir, EnvMaxFile string
}

// Resolve chooses the data directory: the flag if set, else
// $XLBENCH_DATA, else ../shared/data when it exists, else the user cache,
// which fills itself by downloading from the canonical sources; and the
// largest file read, from $XLBENCH_MAX_FILE when set.
func Resolve(loc Location) (*Store, error) {
	s := &Store{Sources: CanonicalSources(), Client: http.DefaultClient, Progress: os.Stderr}
	n, err := ParseMaxFile(loc.EnvMaxFile)
	if err != nil {
		return nil, err
	}
	s.MaxBytes = n
	switch {
	case loc.Flag != "":
		s.Dir, s.Origin = loc.Flag, "-data flag"
	case loc.EnvDir != "":
		s.Dir, s.Origin = loc.EnvDir, "$"+EnvDataDir
	default:
		if st, err := os.Stat(SharedDataDir); err == nil && st.IsDir() {
			s.Dir, s.Origin = SharedDataDir, "default "+SharedDataDir
			break
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no data directory: no -data flag, no $%s, no %s, and no user cache directory: %w", EnvDataDir, SharedDataDir, err)
		}
		s.Dir, s.Origin, s.Download = filepath.Join(cache, "xlbench", "data"), "user cache", true
	}
	if st, err := os.Stat(s.Dir); err != nil && !(s.Download && errors.Is(err, fs.ErrNotExist)) {
		return nil, fmt.Errorf("data directory %s (from %s): %w", s.Dir, s.Origin, err)
	} else if err == nil && !st.IsDir() {
		return nil, fmt.Errorf("data directory %s (from %s) is not a directory", s.Dir, s.Origin)
	}
	return s, nil
}

// Open opens the data file rel ("xquad-r/en.json"), trying rel and then
// rel+".gz", which it decompresses. It downloads a missing file when the
// store allows. The name it returns is the file actually read, for errors.
// rel must stay inside the data directory, also through symbolic links,
// and must not be stored both plain and gzipped (which would be read is a
// guess).
func (s *Store) Open(rel string) (io.ReadCloser, string, error) {
	plain, err := safepath.Join(s.Dir, rel)
	if err != nil {
		return nil, rel, fmt.Errorf("data file: %w", err)
	}
	if _, err := safepath.Join(s.Dir, rel+".gz"); err != nil {
		return nil, rel, fmt.Errorf("data file: %w", err)
	}
	if both(plain) {
		return nil, plain, fmt.Errorf("%s and %s.gz both exist in data directory %s: keep one", rel, rel, s.Dir)
	}
	for _, name := range []string{plain, plain + ".gz"} {
		f, err := openRegular(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, name, err
		}
		if !strings.HasSuffix(name, ".gz") {
			return &utf8Reader{r: s.limit(f, name), name: name}, name, nil
		}
		z, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, name, fmt.Errorf("%s: not a gzip file: %w", name, err)
		}
		return &utf8Reader{r: s.limit(&gzipFile{Reader: z, f: f}, name), name: name}, name, nil
	}
	src, known := s.Sources[rel]
	if s.Download && known {
		if err := s.fetch(src, plain); err != nil {
			return nil, plain, err
		}
		f, err := openRegular(plain)
		if err != nil {
			return nil, plain, err
		}
		return &utf8Reader{r: s.limit(f, plain), name: plain}, plain, nil
	}
	hint := ""
	if known {
		hint = fmt.Sprintf("; `xlbench fetch` downloads it from %s", src.URL)
	}
	return nil, plain, fmt.Errorf("%s not found (nor %s.gz) in data directory %s (from %s)%s", rel, rel, s.Dir, s.Origin, hint)
}

// openRegular opens a data file only if it is a regular file.
func openRegular(name string) (*os.File, error) {
	f, err := safepath.OpenRegular(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: a data file must be one", err)
	}
	return f, err
}

// limit bounds what is read of a data file to the store's limit.
func (s *Store) limit(r io.ReadCloser, name string) io.ReadCloser {
	max := s.maxBytes()
	return struct {
		io.Reader
		io.Closer
	}{safepath.LimitReader(r, max, func() error {
		return fmt.Errorf("%s holds more than %d bytes (decompressed), the limit for a data file; raise it with -max-file or $%s if the file is real", name, max, MaxFileEnv)
	}), r}
}

// both reports whether plain and plain.gz both exist.
func both(plain string) bool {
	_, e1 := os.Stat(plain)
	_, e2 := os.Stat(plain + ".gz")
	return e1 == nil && e2 == nil
}

// Exists reports whether rel (or rel.gz) is in the store without fetching
// it; a path that leaves the data directory is not.
func (s *Store) Exists(rel string) bool {
	plain, err := safepath.Join(s.Dir, rel)
	if err != nil {
		return false
	}
	for _, name := range []string{plain, plain + ".gz"} {
		if _, err := os.Stat(name); err == nil {
			return true
		}
	}
	return false
}

// Fetch downloads every known file under prefix (a dataset folder such as
// "xquad-r") that the store does not hold yet.
func (s *Store) Fetch(prefix string) error {
	var rels []string
	for rel := range s.Sources {
		if strings.HasPrefix(rel, strings.TrimSuffix(prefix, "/")+"/") {
			rels = append(rels, rel)
		}
	}
	if len(rels) == 0 {
		return fmt.Errorf("no canonical source is known for %q", prefix)
	}
	sort.Strings(rels)
	for _, rel := range rels {
		if s.Exists(rel) {
			continue
		}
		dest, err := safepath.Join(s.Dir, rel)
		if err != nil {
			return err
		}
		if err := s.fetch(s.Sources[rel], dest); err != nil {
			return err
		}
	}
	return nil
}

// fetch downloads src to dest, checking its sha256 before the file appears
// under its name.
func (s *Store) fetch(src Source, dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Get(src.URL)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", src.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("downloading %s: %s", src.URL, resp.Status)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	var w io.Writer = io.MultiWriter(tmp, h)
	if s.Progress != nil {
		bar := progressbar.NewOptions64(resp.ContentLength,
			progressbar.OptionSetWriter(s.Progress),
			progressbar.OptionSetDescription("fetching "+filepath.Base(dest)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(s.Progress) }),
			progressbar.OptionUseANSICodes(false),
		)
		w = io.MultiWriter(w, bar)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		tmp.Close()
		return fmt.Errorf("downloading %s: %w", src.URL, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != src.SHA256 {
		return fmt.Errorf("downloading %s: sha256 %s, want %s; the file was discarded", src.URL, got, src.SHA256)
	}
	return os.Rename(tmp.Name(), dest)
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g *gzipFile) Close() error {
	err := g.Reader.Close()
	if cerr := g.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Languages lists the languages of a per-language dataset folder: the
// <lang>.json and <lang>.json.gz files in it, or, when the store can
// download, the files its sources know for that folder. A file whose
// <lang> is not a language code (pt-BR.json, a name with markup in it) is
// an error naming it, as a declared language would be.
func (s *Store) Languages(dir string) ([]string, error) {
	seen := map[string]bool{}
	var entries []os.DirEntry
	folder, err := safepath.Join(s.Dir, dir)
	if err == nil {
		entries, _ = os.ReadDir(folder)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".gz")
		if code, ok := strings.CutSuffix(name, ".json"); ok && !e.IsDir() {
			if !lang.IsCode(code) {
				return nil, fmt.Errorf("%s: %q is not a language: %s; rename the file or list the dataset's languages in the spec",
					filepath.Join(folder, e.Name()), code, lang.Rule)
			}
			seen[code] = true
		}
	}
	if s.Download {
		for rel := range s.Sources {
			if lang, ok := strings.CutPrefix(rel, strings.TrimSuffix(dir, "/")+"/"); ok {
				if l, ok := strings.CutSuffix(lang, ".json"); ok && !strings.Contains(l, "/") {
					seen[l] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out, nil
}

// OpenFile opens the file at path, decompressing it when its name ends in
// .gz: for files named on the command line rather than found in a store.
// Like a data file it must be a regular file in UTF-8 (the stream fails
// at the first invalid byte, naming it), and what it holds decompressed
// is bounded by maxBytes (0: DefaultMaxFileBytes; the command's
// $XLBENCH_MAX_FILE).
func OpenFile(path string, maxBytes int64) (io.ReadCloser, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	var r io.ReadCloser = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: not a gzip file: %w", path, err)
		}
		r = &gzipFile{Reader: z, f: f}
	}
	s := &Store{MaxBytes: maxBytes}
	return &utf8Reader{r: s.limit(r, path), name: path}, nil
}

// ReadFile reads the whole of what OpenFile opens.
func ReadFile(path string, maxBytes int64) ([]byte, error) {
	r, err := OpenFile(path, maxBytes)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		if NamesFile(err, path) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return raw, nil
}
