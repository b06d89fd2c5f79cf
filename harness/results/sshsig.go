package results

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/xlbench/xlbench/harness/internal/safepath"
)

// Verify stamps are signed as `ssh-keygen -Y sign -n xlbench-verify`
// signs a file (OpenSSH's PROTOCOL.sshsig), and checked against an
// allowed-signers file in the repository, as git checks signed commits:
// a reviewer signs with the SSH key they already have, and anyone can
// check a stamp with ssh-keygen -Y verify.

// StampNamespace is the SSH signature namespace of verify stamps: a
// signature made for anything else (a git commit, a file) does not pass
// as one.
const StampNamespace = "xlbench-verify"

// AllowedSignersFile lists, beside the results it vouches for, the
// principals and keys whose stamps count (the format of ssh-keygen's
// ALLOWED SIGNERS).
const AllowedSignersFile = "allowed_signers"

const (
	sshsigMagic   = "SSHSIG"
	sshsigVersion = 1
	sshsigHash    = "sha512"
	armorBegin    = "-----BEGIN SSH SIGNATURE-----"
	armorEnd      = "-----END SSH SIGNATURE-----"
)

// signedData is what an SSH signature signs: the magic, the namespace and
// the hash of the message (sha512, as ssh-keygen makes them, or sha256,
// which it can be told to use).
func signedData(namespace, hash string, message []byte) []byte {
	var digest []byte
	if hash == "sha256" {
		h := sha256.Sum256(message)
		digest = h[:]
	} else {
		h := sha512.Sum512(message)
		digest = h[:]
	}
	return append([]byte(sshsigMagic), ssh.Marshal(struct {
		Namespace, Reserved, Hash string
		Digest                    []byte
	}{namespace, "", hash, digest})...)
}

// wireSignature is the signature blob inside the armour.
type wireSignature struct {
	Version   uint32
	PublicKey []byte
	Namespace string
	Reserved  string
	Hash      string
	Signature []byte
}

// SignSSH signs message in namespace with the private key in keyFile (an
// OpenSSH or PEM private key without a passphrase), armoured as
// ssh-keygen writes it.
func SignSSH(keyFile, namespace string, message []byte) (string, error) {
	pem, err := safepath.ReadRegular(keyFile, 1<<20)
	if err != nil {
		return "", err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return "", fmt.Errorf("%s is protected by a passphrase: sign with a key without one, kept for reviews", keyFile)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", keyFile, err)
	}
	data := signedData(namespace, sshsigHash, message)
	var sig *ssh.Signature
	if as, ok := signer.(ssh.AlgorithmSigner); ok && signer.PublicKey().Type() == ssh.KeyAlgoRSA {
		// SSH signatures never use SHA-1 RSA.
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return "", err
	}
	blob := append([]byte(sshsigMagic), ssh.Marshal(wireSignature{
		Version: sshsigVersion, PublicKey: signer.PublicKey().Marshal(),
		Namespace: namespace, Hash: sshsigHash, Signature: ssh.Marshal(sig),
	})...)
	enc := base64.StdEncoding.EncodeToString(blob)
	var b strings.Builder
	b.WriteString(armorBegin + "\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return b.String(), nil
}

// VerifySSH checks an armoured SSH signature of message in namespace and
// returns the key that made it.
func VerifySSH(armoured, namespace string, message []byte) (ssh.PublicKey, error) {
	body := strings.TrimSpace(armoured)
	if !strings.HasPrefix(body, armorBegin) || !strings.HasSuffix(body, armorEnd) {
		return nil, errors.New("not an armoured SSH signature")
	}
	body = strings.Join(strings.Fields(strings.TrimSuffix(strings.TrimPrefix(body, armorBegin), armorEnd)), "")
	blob, err := base64.StdEncoding.DecodeString(body)
	if err != nil || !bytes.HasPrefix(blob, []byte(sshsigMagic)) {
		return nil, errors.New("the SSH signature is not base64 of an SSHSIG blob")
	}
	var w wireSignature
	if err := ssh.Unmarshal(blob[len(sshsigMagic):], &w); err != nil {
		return nil, fmt.Errorf("the SSH signature: %w", err)
	}
	switch {
	case w.Version != sshsigVersion:
		return nil, fmt.Errorf("SSH signature version %d, not %d", w.Version, sshsigVersion)
	case w.Namespace != namespace:
		return nil, fmt.Errorf("the SSH signature is for namespace %q, not %q", w.Namespace, namespace)
	case w.Hash != sshsigHash && w.Hash != "sha256":
		return nil, fmt.Errorf("SSH signature hash %q", w.Hash)
	}
	key, err := ssh.ParsePublicKey(w.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("the SSH signature's key: %w", err)
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(w.Signature, &sig); err != nil {
		return nil, fmt.Errorf("the SSH signature: %w", err)
	}
	if key.Type() == ssh.KeyAlgoRSA && sig.Format == ssh.KeyAlgoRSA {
		return nil, errors.New("an SSH signature with SHA-1 RSA is not accepted")
	}
	if err := key.Verify(signedData(namespace, w.Hash, message), &sig); err != nil {
		return nil, errors.New("the SSH signature does not match the stamp: it was changed after it was signed, or signed for something else")
	}
	return key, nil
}

// AllowedSigner is one line of an allowed-signers file: the principals
// (patterns, as ssh-keygen matches them) a key may sign as.
type AllowedSigner struct {
	Principals []string
	Namespaces []string // empty: any
	Key        ssh.PublicKey
	Line       int
}

// ReadAllowedSigners reads an allowed-signers file; a missing one is none.
// A line it cannot read is an error naming file and line.
func ReadAllowedSigners(file string) ([]AllowedSigner, error) {
	data, err := safepath.ReadRegular(file, 1<<20)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []AllowedSigner
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, _ := strings.Cut(line, " ")
		s := AllowedSigner{Principals: strings.Split(principals, ","), Line: n}
		rest = strings.TrimSpace(rest)
		// One option is understood: namespaces="a,b". Any other (a
		// certificate authority, validity dates) is refused rather than
		// ignored, so that no key counts for more than the file says.
		if opt, after, ok := strings.Cut(rest, " "); ok && strings.Contains(opt, "=") || strings.HasPrefix(rest, "cert-authority") {
			name, value, _ := strings.Cut(opt, "=")
			if name != "namespaces" {
				return nil, fmt.Errorf("%s:%d: option %q is not supported (only namespaces=)", file, n, opt)
			}
			s.Namespaces = strings.Split(strings.Trim(value, `"`), ",")
			rest = after
		}
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(rest))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, n, err)
		}
		s.Key = key
		out = append(out, s)
	}
	return out, sc.Err()
}

// Allows reports whether a line of the allowed signers lets key sign as
// principal in namespace.
func (s AllowedSigner) Allows(principal, namespace string, key ssh.PublicKey) bool {
	if !bytes.Equal(s.Key.Marshal(), key.Marshal()) {
		return false
	}
	if len(s.Namespaces) > 0 && !matchAny(s.Namespaces, namespace) {
		return false
	}
	return matchAny(s.Principals, principal)
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}
