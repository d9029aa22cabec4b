package helmtest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	helmreg "helm.sh/helm/v3/pkg/registry"
)

// Registry is an OCI registry served in-process (go-containerregistry's)
// on loopback, behind basic auth when asked; charts are pushed to it with
// Helm's registry client.
type Registry struct {
	// URL is oci://HOST/charts: a chart NAME is at oci://HOST/charts/NAME.
	URL        string
	User, Pass string
	host       string
}

// ServeOCI starts an empty registry.
func ServeOCI(t testing.TB, user, pass string) *Registry {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r := &Registry{User: user, Pass: pass}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); r.User != "" && (!ok || u != r.User || p != r.Pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	r.URL = "oci://" + r.host + "/charts"
	return r
}

// Push packages a chart version and pushes it.
func (r *Registry) Push(t testing.TB, name, version string, templates map[string]string, values string) {
	t.Helper()
	b, err := os.ReadFile(Package(t, t.TempDir(), name, version, templates, values))
	if err != nil {
		t.Fatal(err)
	}
	opts := []helmreg.ClientOption{helmreg.ClientOptPlainHTTP(), helmreg.ClientOptCredentialsFile(t.TempDir() + "/none.json")}
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
