package suite

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/tlsfiles/tlstest"
)

// A hub serving TLS and requiring client certificates (mTLS): the CLI
// and a spoke holding certificates from its CA work end to end (a cluster
// registered, an application applied); a client without a certificate,
// or trusting another CA, is refused and told why.
func TestMutualTLSHub(t *testing.T) {
	e := suite(t)
	ca, other := tlstest.NewCA(t, "flotilla-e2e"), tlstest.NewCA(t, "elsewhere")
	h, admin := e.startMTLSHub(t, "tls", ca)
	cliCert, cliKey := ca.Issue(t, "admin")
	cli := func(tlsArgs []string, args ...string) result {
		return e.runAt(ctxT(t), h.grpcAddr, admin, append(tlsArgs, args...)...)
	}
	good := []string{"--tls", "--ca-file", ca.File, "--cert-file", cliCert, "--key-file", cliKey}

	// Refusals name the problem.
	otherCert, otherKey := other.Issue(t, "intruder")
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"plaintext":           {nil, "Unavailable"},
		"no client cert":      {[]string{"--tls", "--ca-file", ca.File}, "--cert-file"},                                                   // the reason, or a hint when the alert lost the race
		"another CA's client": {[]string{"--tls", "--ca-file", ca.File, "--cert-file", otherCert, "--key-file", otherKey}, "Unavailable"}, // the alert may lose the race with the write,
		"trusting another CA": {[]string{"--tls", "--ca-file", other.File, "--cert-file", cliCert, "--key-file", cliKey}, "unknown authority"},
	} {
		if r := cli(c.args, "cluster", "list"); r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: want refused with %q: %s", name, c.want, r)
		}
	}

	r := cli(good, "cluster", "add", "tls-edge", "-o", "json")
	var added struct{ Name, Token string }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &added) != nil || added.Token == "" {
		t.Fatalf("cluster add over mTLS: %s", r)
	}
	if want := "--hub " + h.grpcAddr + " --ca-file " + ca.File + " --cert-file tls-edge.crt --key-file tls-edge.key --token-file"; !strings.Contains(r.stderr, want) {
		t.Errorf("cluster add's spoke command lacks %q:\n%s", want, r.stderr)
	}
	tokenFile := filepath.Join(e.root, uniq("tls-edge")+".token")
	if err := os.WriteFile(tokenFile, []byte(added.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	spokeCert, spokeKey := ca.Issue(t, "tls-edge")
	c := e.clusters[0]
	spoke, err := startProc("flotilla-spoke tls-edge", filepath.Join(e.root, uniq("spoke-tls-edge")+".log"), filepath.Join(e.bin, "flotilla-spoke"),
		"--hub", h.grpcAddr, "--ca-file", ca.File, "--cert-file", spokeCert, "--key-file", spokeKey,
		"--token-file", tokenFile, "--kubeconfig", c.Kubeconfig, "--data-dir", filepath.Join(e.root, uniq("spoke-tls-edge")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := spoke.stop(10 * time.Second); err != nil {
			t.Error(err)
		}
	})
	ns := e.namespace(t, "tls")
	repo, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("over-tls", map[string]string{"k": "v"}, nil)})
	if r := cli(good, "app", "create", "tls-app", "--repo", repo.url, "--path", "app", "--dest-cluster", "tls-edge",
		"--dest-namespace", ns, "--auto-sync"); r.code != 0 {
		t.Fatalf("%s", r)
	}
	if r := cli(good, "app", "wait", "tls-app", "--timeout", "90s"); r.code != 0 {
		t.Fatalf("%s\nspoke log:\n%s", r, spoke.logTail(20))
	}
	if _, ok := c.configMap(t, ns, "over-tls"); !ok {
		t.Errorf("ConfigMap over-tls not in %s after a sync over mTLS", c.Name)
	}
	// The app is deleted with its objects before the spoke stops.
	if r := cli(good, "app", "delete", "tls-app"); r.code != 0 {
		t.Errorf("%s", r)
	}
}

// startMTLSHub starts a hub of its own serving TLS with a certificate of
// ca and requiring client certificates of ca; it returns the hub and its
// admin token, and stops it when the test ends.
func (e *env) startMTLSHub(t *testing.T, name string, ca *tlstest.CA) (*hubProc, string) {
	t.Helper()
	srvCert, srvKey := ca.Issue(t, "127.0.0.1")
	h, err := newHub(e.bin, filepath.Join(e.root, uniq(name)))
	if err != nil {
		t.Fatal(err)
	}
	h.extra = []string{"--tls-cert", srvCert, "--tls-key", srvKey, "--tls-client-ca", ca.File}
	if err := h.start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.stop(); err != nil {
			t.Error(err)
		}
	})
	tok, err := os.ReadFile(filepath.Join(h.dataDir, "admin-token"))
	if err != nil {
		t.Fatal(err)
	}
	return h, strings.TrimSpace(string(tok))
}
