package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/daemontest"
)

func TestMain(m *testing.M) {
	daemontest.MaybeRunMain(main)
	os.Exit(m.Run())
}

// The spoke starts and stops cleanly even when neither its hub nor its
// cluster is reachable (it keeps retrying until told to stop).
func TestStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	token := filepath.Join(dir, "token")
	const cfg = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(token, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	daemontest.StopsOnSIGTERM(t, "-data-dir", filepath.Join(dir, "data"), "-kubeconfig", kubeconfig,
		"-token-file", token, "-hub", "127.0.0.1:1", "-insecure")
}

// --version prints the stamped version and runs nothing (no token, no
// cluster needed).
func TestVersionFlag(t *testing.T) {
	out, err := daemontest.Output(t, "--version")
	if err != nil || !strings.HasPrefix(out, "flotilla-spoke ") {
		t.Errorf("--version: %q %v", out, err)
	}
}
