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
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
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
	ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: name, Version: version}}
	for p, content := range templates {
		ch.Templates = append(ch.Templates, &chart.File{Name: "templates/" + p, Data: []byte(content)})
	}
	if values != "" {
		ch.Raw = append(ch.Raw, &chart.File{Name: "values.yaml", Data: []byte(values)})
		if err := yamlValues(ch, values); err != nil {
			t.Fatal(err)
		}
	}
	path, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
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
