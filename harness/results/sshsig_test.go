package results

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/xlbench/xlbench/harness/internal/testenv"
)

// TestSSHSignaturesInterwork: a signature made here passes ssh-keygen -Y
// verify, and one ssh-keygen -Y sign makes passes here; a changed message
// or another namespace does not.
func TestSSHSignaturesInterwork(t *testing.T) {
	keygen := testenv.Command(t, "ssh-keygen")
	dir := t.TempDir()
	key, pub := testenv.SSHKey(t)
	signers := filepath.Join(dir, AllowedSignersFile)
	os.WriteFile(signers, []byte("# reviewers\nreviewer@example.org "+pub+"\n"), 0o644)
	message := []byte(`{"who":"reviewer"}`)

	sig, err := SignSSH(key, StampNamespace, message)
	if err != nil {
		t.Fatal(err)
	}
	sigFile := filepath.Join(dir, "msg.sig")
	os.WriteFile(sigFile, []byte(sig), 0o644)
	cmd := exec.Command(keygen, "-Y", "verify", "-f", signers, "-I", "reviewer@example.org", "-n", StampNamespace, "-s", sigFile)
	cmd.Stdin = bytes.NewReader(message)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y verify refuses our signature: %v\n%s", err, out)
	}

	msgFile := filepath.Join(dir, "msg")
	os.WriteFile(msgFile, message, 0o644)
	if out, err := exec.Command(keygen, "-Y", "sign", "-f", key, "-n", StampNamespace, msgFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
	}
	theirs, _ := os.ReadFile(msgFile + ".sig")
	got, err := VerifySSH(string(theirs), StampNamespace, message)
	if err != nil || ssh.FingerprintSHA256(got) != fingerprintOf(t, pub) {
		t.Fatalf("ssh-keygen's signature: %v", err)
	}
	if _, err := VerifySSH(string(theirs), StampNamespace, []byte(`{"who":"someone else"}`)); err == nil {
		t.Error("a signature passed for a changed message")
	}
	if _, err := VerifySSH(string(theirs), "git", message); err == nil || !strings.Contains(err.Error(), "namespace") {
		t.Errorf("a signature passed in another namespace: %v", err)
	}
}

func fingerprintOf(t *testing.T, authorized string) string {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorized))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

// TestStampSignatures: a stamp signed by an allowed key is "signed"; the
// same stamp edited after signing is "invalid"; signed by a key not
// listed for the principal, "unknown key"; not signed, "unsigned".
func TestStampSignatures(t *testing.T) {
	dir := t.TempDir()
	key, pub := testenv.SSHKey(t)
	other, _ := testenv.SSHKey(t)
	os.WriteFile(filepath.Join(dir, AllowedSignersFile), []byte("reviewer@example.org namespaces=\"xlbench-verify\" "+pub+"\n"), 0o644)
	allowed, err := ReadAllowedSigners(filepath.Join(dir, AllowedSignersFile))
	if err != nil || len(allowed) != 1 {
		t.Fatalf("allowed signers: %v, %v", allowed, err)
	}
	stamp := Stamp{Who: "root@vm", When: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), Cells: []Verdict{{Experiment: "e", Cell: "c", Outcome: Reproduced}}}
	signed := stamp
	if err := signed.Sign(key, "reviewer@example.org"); err != nil {
		t.Fatal(err)
	}
	if got := signed.CheckSignature(allowed); got.Status != SignedOK || got.Principal != "reviewer@example.org" {
		t.Errorf("signed stamp: %+v", got)
	}
	edited := signed
	edited.Cells = []Verdict{{Experiment: "e", Cell: "c", Outcome: Reproduced, MaxDeviation: 0.5}}
	if got := edited.CheckSignature(allowed); got.Status != BadSignature {
		t.Errorf("edited stamp: %+v", got)
	}
	impostor := stamp
	impostor.Sign(other, "reviewer@example.org")
	if got := impostor.CheckSignature(allowed); got.Status != UnknownSigner || !strings.Contains(got.Reason, "not allowed to sign as") {
		t.Errorf("stamp signed by an unlisted key: %+v", got)
	}
	if got := stamp.CheckSignature(allowed); got.Status != Unsigned {
		t.Errorf("unsigned stamp: %+v", got)
	}
	// A line the reader does not understand names file and line.
	os.WriteFile(filepath.Join(dir, "bad"), []byte("\nreviewer@example.org cert-authority "+pub+"\n"), 0o644)
	if _, err := ReadAllowedSigners(filepath.Join(dir, "bad")); err == nil || !strings.Contains(err.Error(), "bad:2: option") {
		t.Errorf("unsupported option: %v", err)
	}
}
