// Package testenv locates what tests need from outside the module.
package testenv

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// ModuleRoot returns the repository root (the directory holding go.mod).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// SharedData returns the shared data directory ($XLBENCH_DATA, else
// ../shared/data beside the repository). When it is missing the test is
// skipped on a developer machine and fails under CI (CI=true), where a
// skipped data test would hide a broken set-up.
func SharedData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("XLBENCH_DATA")
	if dir == "" {
		dir = filepath.Join(ModuleRoot(), "..", "shared", "data")
	}
	if st, err := os.Stat(filepath.Join(dir, "xquad-r")); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing under CI: %s/xquad-r not found", dir)
		}
		t.Skipf("shared data not found at %s", dir)
	}
	return dir
}

// Python is the interpreter the Python plugins name (#!/usr/bin/python3):
// Debian's, which sees Debian's python3-grpcio, python3-protobuf and
// python3-torch. Another python3 may come first on PATH and see none.
const Python = "/usr/bin/python3"

// PythonModules returns Python after checking that it imports every module
// in mods. When one is missing the test is skipped on a developer machine
// and fails under CI (make test installs them).
func PythonModules(t testing.TB, mods ...string) string {
	t.Helper()
	for _, m := range mods {
		if err := exec.Command(Python, "-c", "import "+m).Run(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s cannot import %s under CI (make test installs it): %v", Python, m, err)
			}
			t.Skipf("%s cannot import %s", Python, m)
		}
	}
	return Python
}

// RunWithBinaries is a TestMain body for tests that start the module's
// programs: it builds each package (a module-relative path such as
// "./harness/cmd/xlbench") into one temporary directory, stores the
// binary's path where bins points, runs the tests, removes the directory
// and exits with their status. A build that fails ends the process with
// the compiler's output.
//
// With XLBENCH_TEST_BINARIES set to a folder, the binaries are taken from
// there (by base name) and nothing is built: a test binary carried to a
// machine without Go (the GPU check) runs with programs built beside it.
// Only those its tests start need be there; a test that starts a missing
// one fails naming its path.
func RunWithBinaries(m *testing.M, bins map[*string]string) {
	if pre := os.Getenv("XLBENCH_TEST_BINARIES"); pre != "" {
		for dst, pkg := range bins {
			*dst = filepath.Join(pre, filepath.Base(pkg))
		}
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "xlbench-test-bin")
	if err != nil {
		panic(err)
	}
	for dst, pkg := range bins {
		*dst = filepath.Join(dir, filepath.Base(pkg))
		cmd := exec.Command("go", "build", "-o", *dst, pkg)
		cmd.Dir = ModuleRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, b)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// HFPython returns the interpreter of the project's .venv (make hf-env),
// which the hf-encoder plugin runs under, after checking that it imports
// torch, transformers and sentence-transformers. When it cannot, the test
// is skipped on a developer machine and fails under CI (make test makes
// the environment).
func HFPython(t testing.TB) string {
	t.Helper()
	py := filepath.Join(ModuleRoot(), ".venv", "bin", "python")
	if out, err := exec.Command(py, "-c", "import torch, transformers, sentence_transformers").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s cannot import torch, transformers and sentence-transformers under CI (make test runs make hf-env): %v\n%s", py, err, out)
		}
		t.Skipf("%s cannot import torch, transformers and sentence-transformers (make hf-env): %v", py, err)
	}
	return py
}

// Command returns the path of a program a test needs (ssh-keygen, say),
// skipping the test on a developer machine without it and failing under
// CI, where make test installs it.
func Command(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing under CI (make test-deps installs it)", name)
		}
		t.Skipf("%s not found", name)
	}
	return path
}

// SSHKey writes a fresh ed25519 key pair without a passphrase (OpenSSH
// format) in a temporary folder of the test and returns the private key's
// file and the public key's authorized_keys line: a reviewer's key for
// signing verify stamps.
func SSHKey(t testing.TB) (keyFile, authorized string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return keyFile, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
}
