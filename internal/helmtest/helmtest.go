// Package helmtest serves a real Helm chart repository for tests: charts
// packaged with Helm's SDK into a directory with its index.yaml, served
// over HTTP on loopback, with basic auth when asked.
package helmtest

import (
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
	// Pulls counts chart archives served.
	Pulls atomic.Int32
	mu    sync.Mutex
}

// Serve starts an empty repository; with user set, it asks for basic auth.
func Serve(t testing.TB, user, pass string) *Repo {
	t.Helper()
	r := &Repo{Dir: t.TempDir(), User: user, Pass: pass}
	files := http.FileServer(http.Dir(r.Dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); r.User != "" && (!ok || u != r.User || p != r.Pass) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(req.URL.Path, ".tgz") {
			r.Pulls.Add(1)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	r.index(t)
	return r
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
