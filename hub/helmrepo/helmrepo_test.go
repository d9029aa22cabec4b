package helmrepo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
)

// serveRepo serves a Helm repository of the charts (name → versions)
// with basic auth user:pass: its URL, directory and download counter.
func serveRepo(t *testing.T, charts map[string][]string) (string, string, *atomic.Int32) {
	t.Helper()
	r := helmtest.Serve(t, "user", "pass")
	for name, versions := range charts {
		for _, v := range versions {
			r.Add(t, name, v, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\ndata: {version: " + v + "}\n"}, "")
		}
	}
	return r.URL, r.Dir, &r.Pulls
}

var creds = Credentials{Username: "user", Password: "pass"}

func TestResolveAndPull(t *testing.T) {
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0", "1.0.1", "1.1.0", "2.0.0-rc.1"}})
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	ctx := context.Background()
	if _, err := c.Resolve(u, "web", "~1.0"); err == nil || !strings.Contains(err.Error(), "not fetched") {
		t.Fatalf("before a refresh: %v", err)
	}
	if err := c.Refresh(ctx, u, nil, creds, 0); err != nil {
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
	if err := c.Refresh(ctx, u, nil, Credentials{Username: "user", Password: "wrong"}, 0); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong password: %v", err)
	}
	if err := c.Refresh(ctx, u, nil, creds, 0); err != nil {
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
	if err := small.Refresh(ctx, u, nil, creds, 0); err != nil {
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
		h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}
		if strings.HasSuffix(name, "/") {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
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

// An index entry that is not what it says is dropped: a name that is not
// its entry's or could name another directory, a digest that is not a
// SHA-256. A chart version pulled once is not downloaded again, digest in
// the index or not; an archive of too many directories is refused.
func TestHostileIndexAndArchive(t *testing.T) {
	idx, err := parseIndex([]byte(`apiVersion: v1
entries:
  web:
  - {name: ../other, version: 1.0.0, apiVersion: v2, urls: [web.tgz]}
  - {name: web, version: 1.0.1, apiVersion: v2, urls: [web.tgz], digest: "../../x"}
  - {name: web, version: 1.0.2, apiVersion: v2, urls: [web.tgz]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := idx.Entries["web"]; len(got) != 1 || got[0].Version != "1.0.2" {
		t.Fatalf("kept %v, want only 1.0.2", got)
	}
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0"}})
	c := New(t.TempDir(), 10*time.Second, Limits{IndexBytes: 1 << 20, ArchiveBytes: 1 << 20, ChartBytes: 1 << 20, ChartFiles: 20})
	ctx := context.Background()
	if err := c.Refresh(ctx, u, nil, creds, 0); err != nil {
		t.Fatal(err)
	}
	cv, _ := c.Resolve(u, "web", "1.0.0")
	plain := *cv
	plain.Digest = ""
	for range 2 {
		if _, _, err := c.Pull(ctx, u, &plain, creds); err != nil {
			t.Fatal(err)
		}
	}
	if pulls.Load() != 1 {
		t.Errorf("%d downloads of one chart version with no digest in the index, want 1", pulls.Load())
	}
	dirs := map[string]string{"web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n"}
	for i := range 30 {
		dirs[fmt.Sprintf("web/d%d/", i)] = ""
	}
	if err := c.extract(tarGz(t, dirs), t.TempDir()+"/x"); err == nil || !strings.Contains(err.Error(), "files and directories") {
		t.Errorf("an archive of 30 directories with a limit of 20: %v", err)
	}
}

// GC removes the charts nothing keeps, but for those pulled within the
// grace period; a removed chart is pulled again when needed.
func TestGC(t *testing.T) {
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0", "1.1.0"}})
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	ctx := context.Background()
	if err := c.Refresh(ctx, u, nil, creds, 0); err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		cv, _ := c.Resolve(u, "web", v)
		if _, d, err := c.Pull(ctx, u, cv, creds); err != nil {
			t.Fatal(err)
		} else {
			digests[v] = d
		}
	}
	if n, err := c.GC(map[string]bool{}, time.Hour); err != nil || n != 0 {
		t.Fatalf("within the grace period: freed %d (%v), want 0", n, err)
	}
	if n, err := c.GC(map[string]bool{digests["1.1.0"]: true}, 0); err != nil || n != 1 {
		t.Fatalf("freed %d (%v), want 1 (1.0.0)", n, err)
	}
	cv, _ := c.Resolve(u, "web", "1.0.0")
	if _, _, err := c.Pull(ctx, u, cv, creds); err != nil || pulls.Load() != 3 {
		t.Errorf("1.0.0 after GC: %v, %d downloads, want it downloaded again (3)", err, pulls.Load())
	}
	cv, _ = c.Resolve(u, "web", "1.1.0")
	if _, _, err := c.Pull(ctx, u, cv, creds); err != nil || pulls.Load() != 3 {
		t.Errorf("1.1.0, kept: %v, %d downloads, want 3", err, pulls.Load())
	}
}
