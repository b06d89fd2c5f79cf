package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/xlbench/xlbench/harness/internal/safepath"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// StampFile holds the verify stamps of a results directory, beside its
// experiments: OUT/verified.json, a JSON array, one stamp per verify run,
// oldest first.
const StampFile = "verified.json"

// FileHash names a file and its sha256.
type FileHash struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Stamp is what one `xlbench verify` run found: who ran it, on what, when,
// and per cell whether its rerun reproduced the stored result.
type Stamp struct {
	Who            string     `json:"who"`
	Machine        Machine    `json:"machine"`
	When           time.Time  `json:"when"`
	XLBenchVersion string     `json:"xlbench_version"`
	Specs          []FileHash `json:"specs"`
	Tolerance      float64    `json:"tolerance"`
	Cells          []Verdict  `json:"cells"`
	// MaxDeviation is the largest difference of any rerun metric from the
	// stored one (relative for metrics above 1, as the tolerance is).
	MaxDeviation float64 `json:"max_deviation"`
	// Signer is the principal (an e-mail address, say) the stamp is signed
	// as, and Signature the SSH signature of the stamp without it
	// (SignedMessage), made by `verify -sign KEY`.
	Signer    string `json:"signer,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// SignedMessage is what a stamp's signature signs: the stamp's JSON
// without its signature.
func (s Stamp) SignedMessage() []byte {
	s.Signature = ""
	b, _ := json.Marshal(s)
	return b
}

// Sign signs the stamp as principal with the SSH private key in keyFile.
func (s *Stamp) Sign(keyFile, principal string) error {
	if principal == "" {
		return errors.New("a signed stamp needs the principal it is signed as (-signer, as in allowed_signers)")
	}
	s.Signer = principal
	sig, err := SignSSH(keyFile, StampNamespace, s.SignedMessage())
	if err != nil {
		return err
	}
	s.Signature = sig
	return nil
}

// Signed is what a stamp's signature says.
type Signed struct {
	// Status is "signed" (by a key the allowed signers list for the
	// principal), "unsigned", "unknown key" or "invalid".
	Status      string
	Principal   string
	Fingerprint string
	Reason      string
}

// Signature statuses.
const (
	SignedOK      = "signed"
	Unsigned      = "unsigned"
	UnknownSigner = "unknown key"
	BadSignature  = "invalid"
)

// CheckSignature checks the stamp's signature against the allowed signers.
func (s Stamp) CheckSignature(allowed []AllowedSigner) Signed {
	if s.Signature == "" {
		return Signed{Status: Unsigned, Reason: "the stamp is not signed"}
	}
	key, err := VerifySSH(s.Signature, StampNamespace, s.SignedMessage())
	if err != nil {
		return Signed{Status: BadSignature, Principal: s.Signer, Reason: err.Error()}
	}
	fp := ssh.FingerprintSHA256(key)
	for _, a := range allowed {
		if a.Allows(s.Signer, StampNamespace, key) {
			return Signed{Status: SignedOK, Principal: s.Signer, Fingerprint: fp}
		}
	}
	return Signed{Status: UnknownSigner, Principal: s.Signer, Fingerprint: fp, Reason: fmt.Sprintf("key %s is not allowed to sign as %q (%s)", fp, s.Signer, AllowedSignersFile)}
}

// Verdicts of a stamped cell.
const (
	Reproduced = "reproduced" // rerun; every metric within the tolerance
	Differs    = "differs"    // rerun; some metric outside it
	Reused     = "reused"     // taken from another directory, not rerun
	NotRerun   = "failed"     // the rerun failed or the stored result is missing
)

// Verdict is one cell of a stamp.
type Verdict struct {
	Experiment   string  `json:"experiment"`
	Cell         string  `json:"cell"`
	CellID       string  `json:"cell_id"`
	Outcome      string  `json:"outcome"`
	MaxDeviation float64 `json:"max_deviation"`
	// ResultSHA256 and PerQuerySHA256 are the files the verdict is about:
	// a result changed since is not the one verified.
	ResultSHA256   string `json:"result_sha256,omitempty"`
	PerQuerySHA256 string `json:"per_query_sha256,omitempty"`
}

// About reports whether the verdict is about r as it is stored now.
func (v Verdict) About(r *CellResult) bool {
	return v.ResultSHA256 == r.Stored.ResultSHA256 && v.PerQuerySHA256 == r.PerQuerySHA256
}

// MaxStampBytes bounds the stamp file.
const MaxStampBytes = 16 << 20

// ReadStamps reads the stamps of a results directory (none when it has no
// stamp file).
func ReadStamps(out string) ([]Stamp, error) {
	f := StampPath(out)
	data, err := safepath.ReadRegular(f, MaxStampBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ss []Stamp
	if err := json.Unmarshal(data, &ss); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	return ss, nil
}

// AddStamp appends s to the stamps of out, replacing the file whole. It
// holds a lock on out meanwhile (flock on the directory itself, which
// leaves no file behind), so that verifies finishing at once keep every
// stamp.
func AddStamp(out string, s Stamp) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dir, err := os.Open(out)
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := unix.Flock(int(dir.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s for its stamps: %w", out, err)
	}
	defer unix.Flock(int(dir.Fd()), unix.LOCK_UN)
	ss, err := ReadStamps(out)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(append(ss, s), "", "  ")
	if err != nil {
		return err
	}
	return safepath.WriteFile(StampPath(out), append(data, '\n'), 0o644)
}

// Deviation is the largest difference of got's metrics from want's, as
// Compare measures it (absolute up to 1, relative above), over the
// metrics both have.
func Deviation(want, got *CellResult) float64 {
	worst := 0.0
	for ds, settings := range want.Metrics {
		for setting, ms := range settings {
			for name, w := range ms {
				g, ok := got.Metrics[ds][setting][name]
				if !ok {
					continue
				}
				worst = max(worst, deviation(w, g))
			}
		}
	}
	return worst
}
