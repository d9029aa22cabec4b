package helmtest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	helmreg "helm.sh/helm/v3/pkg/registry"
)

// Registry is an OCI registry served in-process (go-containerregistry's)
// on loopback, over HTTP or HTTPS, behind basic auth when asked; charts are
// pushed to it with Helm's registry client.
type Registry struct {
	// URL is oci://HOST/charts: a chart NAME is at oci://HOST/charts/NAME.
	URL        string
	User, Pass string
	// CA is the server's certificate (PEM) when served over HTTPS.
	CA []byte
	// Pulls counts chart manifests served (GET): one a chart pulled, one
	// a chart pushed.
	Pulls  atomic.Int32
	host   string
	client *http.Client // one that trusts the server
}

// ServeOCI starts an empty registry.
func ServeOCI(t testing.TB, user, pass string) *Registry {
	t.Helper()
	return serveOCI(t, user, pass, httptest.NewServer)
}

// ServeOCITLS starts an empty registry over HTTPS, its certificate in CA.
func ServeOCITLS(t testing.TB, user, pass string) *Registry {
	t.Helper()
	return serveOCI(t, user, pass, newTLSServer)
}

func serveOCI(t testing.TB, user, pass string, start func(http.Handler) *httptest.Server) *Registry {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r := &Registry{User: user, Pass: pass}
	srv := start(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); r.User != "" && (!ok || u != r.User || p != r.Pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/manifests/") {
			r.Pulls.Add(1)
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://")
	r.URL, r.CA, r.client = "oci://"+r.host+"/charts", certPEM(srv), srv.Client()
	return r
}

// Push packages a chart version and pushes it.
func (r *Registry) Push(t testing.TB, name, version string, templates map[string]string, values string) {
	t.Helper()
	b, err := os.ReadFile(Package(t, t.TempDir(), name, version, templates, values))
	if err != nil {
		t.Fatal(err)
	}
	opts := []helmreg.ClientOption{helmreg.ClientOptHTTPClient(r.client), helmreg.ClientOptCredentialsFile(t.TempDir() + "/none.json")}
	if r.CA == nil {
		opts = append(opts, helmreg.ClientOptPlainHTTP())
	}
	if r.User != "" {
		opts = append(opts, helmreg.ClientOptBasicAuth(r.User, r.Pass))
	}
	cl, err := helmreg.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Push(b, r.host+"/charts/"+name+":"+version); err != nil {
		t.Fatal(err)
	}
}
