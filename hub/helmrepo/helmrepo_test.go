package helmrepo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"
)

// serveRepo packages the charts (name → versions) into a directory with
// its index.yaml, served over HTTP with basic auth user:pass; it counts
// chart downloads.
func serveRepo(t *testing.T, charts map[string][]string) (string, string, *atomic.Int32) {
	t.Helper()
	dir := t.TempDir()
	for name, versions := range charts {
		for _, v := range versions {
			ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: name, Version: v},
				Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {version: " + v + "}\n")}}}
			if _, err := chartutil.Save(ch, dir); err != nil {
				t.Fatal(err)
			}
		}
	}
	var pulls atomic.Int32
	mux := http.NewServeMux()
	fs := http.FileServer(http.Dir(dir))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pass" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".tgz") {
			pulls.Add(1)
		}
		fs.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	idx, err := repo.IndexDirectory(dir, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, dir, &pulls
}

var creds = Credentials{Username: "user", Password: "pass"}

func TestResolveAndPull(t *testing.T) {
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0", "1.0.1", "1.1.0", "2.0.0-rc.1"}})
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	ctx := context.Background()
	if _, err := c.Resolve(u, "web", "~1.0"); err == nil || !strings.Contains(err.Error(), "not fetched") {
		t.Fatalf("before a refresh: %v", err)
	}
	if err := c.Refresh(ctx, u, nil, creds); err != nil {
		t.Fatal(err)
	}
	for constraint, want := range map[string]string{"~1.0": "1.0.1", ">=1.0 <2": "1.1.0", "": "1.1.0", "1.0.0": "1.0.0", "*": "1.1.0"} {
		cv, err := c.Resolve(u, "web", constraint)
		if err != nil || cv.Version != want {
			t.Errorf("%q: %v %v, want %s", constraint, cv, err, want)
		}
	}
	for _, bad := range []struct{ chart, version, want string }{{"nope", "", `no chart "nope"`}, {"web", "~3", `no version matches "~3"`}} {
		if _, err := c.Resolve(u, bad.chart, bad.version); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s %s: %v, want %q", bad.chart, bad.version, err, bad.want)
		}
	}
	cv, _ := c.Resolve(u, "web", "~1.0")
	dir, digest, err := c.Pull(ctx, u, cv, creds)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "templates", "cm.yaml")); err != nil || !strings.Contains(string(b), "1.0.1") {
		t.Fatalf("unpacked chart: %s %v", b, err)
	}
	if !strings.HasPrefix(digest, "sha256:") || digest != "sha256:"+cv.Digest {
		t.Errorf("digest %s, want the index's %s", digest, cv.Digest)
	}
	if _, _, err := c.Pull(ctx, u, cv, creds); err != nil || pulls.Load() != 1 {
		t.Errorf("second pull of one digest: %v, %d downloads, want 1", err, pulls.Load())
	}
}

func TestRefusals(t *testing.T) {
	u, dir, _ := serveRepo(t, map[string][]string{"web": {"1.0.0"}})
	ctx := context.Background()
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	if err := c.Refresh(ctx, u, nil, Credentials{Username: "user", Password: "wrong"}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: %v", err)
	}
	if err := c.Refresh(ctx, u, nil, creds); err != nil {
		t.Fatal(err)
	}
	cv, err := c.Resolve(u, "web", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	tampered := *cv
	tampered.Digest = strings.Repeat("0", 64)
	if _, _, err := c.Pull(ctx, u, &tampered, creds); err == nil || !strings.Contains(err.Error(), "does not match the index") {
		t.Errorf("digest mismatch: %v", err)
	}
	small := New(t.TempDir(), 10*time.Second, Limits{IndexBytes: 1 << 20, ArchiveBytes: 100, ChartBytes: 1 << 20, ChartFiles: 10})
	if err := small.Refresh(ctx, u, nil, creds); err != nil {
		t.Fatal(err)
	}
	if _, _, err := small.Pull(ctx, u, cv, creds); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized archive: %v", err)
	}
	// An archive whose entry leaves the chart.
	evil := tarGz(t, map[string]string{"web/Chart.yaml": "name: web\n", "../../escape": "x"})
	if err := os.WriteFile(filepath.Join(dir, "web-1.0.0.tgz"), evil, 0o644); err != nil {
		t.Fatal(err)
	}
	plain := *cv
	plain.Digest = ""
	if _, _, err := New(t.TempDir(), 10*time.Second, DefaultLimits()).Pull(ctx, u, &plain, creds); err == nil || !strings.Contains(err.Error(), "leaves the chart") {
		t.Errorf("escaping archive: %v", err)
	}
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
