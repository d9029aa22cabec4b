// Package helmtest serves a real Helm chart repository for tests: charts
// packaged with Helm's SDK into a directory with its index.yaml, served
// over HTTP (or HTTPS with a certificate of its own) on loopback, with
// basic auth when asked.
package helmtest

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"
)

// Repo is a served chart repository.
type Repo struct {
	URL, Dir   string
	User, Pass string
	// CA is the server's certificate (PEM) when served over HTTPS: the
	// only one that verifies it.
	CA []byte
	// Pulls counts chart archives served, Indexes index.yaml served.
	Pulls, Indexes atomic.Int32
	mu             sync.Mutex
}

// Serve starts an empty repository; with user set, it asks for basic auth.
func Serve(t testing.TB, user, pass string) *Repo {
	t.Helper()
	return serve(t, user, pass, httptest.NewServer)
}

// ServeTLS starts an empty repository over HTTPS, its certificate in CA.
func ServeTLS(t testing.TB, user, pass string) *Repo {
	t.Helper()
	return serve(t, user, pass, newTLSServer)
}

// newTLSServer is httptest.NewTLSServer without the log of handshakes
// refused (a client that does not trust it, on purpose).
func newTLSServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	return srv
}

func serve(t testing.TB, user, pass string, start func(http.Handler) *httptest.Server) *Repo {
	t.Helper()
	r := &Repo{Dir: t.TempDir(), User: user, Pass: pass}
	files := http.FileServer(http.Dir(r.Dir))
	srv := start(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); r.User != "" && (!ok || u != r.User || p != r.Pass) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch {
		case strings.HasSuffix(req.URL.Path, ".tgz"):
			r.Pulls.Add(1)
		case strings.HasSuffix(req.URL.Path, "/index.yaml"):
			r.Indexes.Add(1)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL, r.CA = srv.URL, certPEM(srv)
	r.index(t)
	return r
}

// certPEM is a server's certificate (PEM), nil without TLS.
func certPEM(srv *httptest.Server) []byte {
	if srv.TLS == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// Add packages a chart version (templates: path under templates/ →
// content; values: values.yaml) and indexes the repository again.
func (r *Repo) Add(t testing.TB, name, version string, templates map[string]string, values string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	Package(t, r.Dir, name, version, templates, values)
	r.indexLocked(t)
}

// Package writes the archive of a chart version (templates: path under
// templates/ → content; values: values.yaml) into dir and returns its path.
func Package(t testing.TB, dir, name, version string, templates map[string]string, values string) string {
	t.Helper()
	ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: name, Version: version}}
	for p, content := range templates {
		ch.Templates = append(ch.Templates, &chart.File{Name: "templates/" + p, Data: []byte(content)})
	}
	if values != "" {
		v, err := chartutil.ReadValues([]byte(values))
		if err != nil {
			t.Fatal(err)
		}
		ch.Raw, ch.Values = append(ch.Raw, &chart.File{Name: "values.yaml", Data: []byte(values)}), v
	}
	path, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func (r *Repo) index(t testing.TB) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.indexLocked(t)
}

func (r *Repo) indexLocked(t testing.TB) {
	t.Helper()
	idx, err := repo.IndexDirectory(r.Dir, r.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(r.Dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}
