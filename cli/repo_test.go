package cli

import (
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	"github.com/flotilla-gitops/flotilla/internal/helmtest"
)

// repo add --type helm|oci with the password on standard input; what
// cannot be is refused naming it.
func TestRepoAddTypes(t *testing.T) {
	g, _ := startHub(t)
	out, errOut, code := run(t, "s3cret\n", append(g, "repo", "add", "https://charts.example.com/stable", "--type", "helm", "--username", "bot", "--password-stdin")...)
	if code != 0 || !strings.Contains(out, "added") {
		t.Fatalf("helm: exit %d %s%s", code, out, errOut)
	}
	must := mustRun(t, g)
	must("repo", "add", "oci://registry.example.com/charts", "--type", "oci", "--username", "bot", "--password-file", writeTemp(t, "tok"))
	list := must("repo", "list")
	for _, want := range []string{"https://charts.example.com/stable  helm  bot", "oci://registry.example.com/charts  oci"} {
		if !strings.Contains(strings.Join(strings.Fields(list), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("repo list lacks %q:\n%s", want, list)
		}
	}
	for args, want := range map[string]string{
		"oci://x/y --type helm":                          "type helm: want a http URL",
		"https://x/y --type oci":                         "type oci: want a oci:// URL",
		"https://x/y --type svn":                         `type "svn": want git, helm or oci`,
		"https://x/y --password-stdin --password-file f": "give one",
	} {
		_, errOut, code := run(t, "", append(g, append([]string{"repo", "add"}, strings.Fields(args)...)...)...)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("repo add %s: exit %d %q, want %q", args, code, errOut, want)
		}
	}
}

// repo add --ca-file: an application of a Git repository served over
// HTTPS with a certificate of its own fails to fetch (unknown authority)
// until the repository's CA is added, then renders, and so does a chart
// of a Helm repository over HTTPS; repo list says a CA is stored. What is not a PEM certificate, a CA for SSH, and a file that
// cannot be read are refused naming ca_cert or the flag.
func TestRepoAddCAFile(t *testing.T) {
	g, _ := startHub(t)
	must := mustRun(t, g)
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(gs)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	if err := gs.Create("apps"); err != nil {
		t.Fatal(err)
	}
	sha, err := gs.Commit("apps", "main", "web", map[string]string{"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"})
	if err != nil {
		t.Fatal(err)
	}
	u := srv.URL + "/apps.git"
	ca := writeTemp(t, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	must("cluster", "add", "east")
	must("app", "create", "web", "--repo", u, "--path", "web", "--dest-cluster", "east", "--dest-namespace", "shop")
	if out := must("app", "get", "web", "--refresh", "-o", "json"); !strings.Contains(out, "x509: certificate signed by unknown authority") {
		t.Fatalf("without the CA: want an unknown authority:\n%s", out)
	}
	must("repo", "add", u, "--ca-file", ca)
	if out := must("app", "get", "web", "--refresh"); !strings.Contains(out, sha[:8]) {
		t.Errorf("with the CA: want revision %s:\n%s", sha[:8], out)
	}
	if list := must("repo", "list"); !strings.Contains(strings.Join(strings.Fields(list), " "), u+" git - - - stored") {
		t.Errorf("repo list does not say a CA is stored for %s:\n%s", u, list)
	}
	// A Helm repository over HTTPS: its chart version is the revision
	// once the CA is stored.
	charts := helmtest.ServeTLS(t, "", "")
	charts.Add(t, "web", "1.2.3", map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"}, "")
	must("app", "create", "chart", "--repo", charts.URL, "--chart", "web", "--revision", "~1.2", "--dest-cluster", "east", "--dest-namespace", "shop")
	if out := must("app", "get", "chart", "--refresh", "-o", "json"); !strings.Contains(out, "x509: certificate signed by unknown authority") {
		t.Fatalf("chart without the CA: want an unknown authority:\n%s", out)
	}
	must("repo", "add", charts.URL, "--type", "helm", "--ca-file", writeTemp(t, string(charts.CA)))
	if out := must("app", "get", "chart", "--hard-refresh"); !strings.Contains(out, "1.2.3") {
		t.Errorf("chart with the CA: want revision 1.2.3:\n%s", out)
	}
	for _, c := range []struct{ url, file, want string }{
		{"https://x/y", writeTemp(t, "not PEM"), "InvalidArgument: repository https://x/y: ca_cert: no PEM certificate"},
		{"https://x/y", writeTemp(t, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "ca_cert: PEM block 1 is a PRIVATE KEY, want CERTIFICATE"},
		{"https://x/y", writeTemp(t, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "repository https://x/y: ca_cert: certificate 1:"},
		{"ssh://git@x/y.git", ca, "ca_cert: a CA is for HTTPS, not SSH"},
		{"git@x:y.git", ca, "ca_cert: a CA is for HTTPS, not SSH"},
		{"https://x/y", t.TempDir() + "/none.pem", "--ca-file: open "},
	} {
		_, errOut, code := run(t, "", append(g, "repo", "add", c.url, "--ca-file", c.file)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("repo add %s --ca-file %s: exit %d %q, want %q", c.url, c.file, code, errOut, c.want)
		}
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := t.TempDir() + "/f"
	writeFile(t, p, content)
	return p
}
