package images

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const helloMain = `package main

import "os"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		os.Stdout.WriteString("hello v1.0.0\n")
	}
}
`

// buildHello compiles a tiny static linux/amd64 binary (module
// example.com/hello) into a new directory and returns its path.
func buildHello(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for f, s := range map[string]string{"go.mod": "module example.com/hello\n\ngo 1.22\n", "main.go": helloMain} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build hello: %v\n%s", err, out)
	}
	return bin
}

// testOptions are the options of hello's image with a CA bundle of the test.
func testOptions(t *testing.T, bin string) Options {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := DefaultOptions("hello", bin, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	o.CABundle, o.Version, o.Revision = ca, "v1.0.0", "abc123"
	o.Created = time.Unix(0, 0).UTC()
	return o
}

// file is one entry of an image's flattened filesystem.
type file struct {
	hdr  *tar.Header
	data []byte
}

func flatten(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files["/"+strings.TrimSuffix(h.Name, "/")] = file{h, b}
	}
}

func TestBuildWriteLoad(t *testing.T) {
	o := testOptions(t, buildHello(t))
	img, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "hello.tar")
	if err := tarball.WriteToFile(tarPath, name.MustParseReference("example.com/hello:v1.0.0"), img); err != nil {
		t.Fatal(err)
	}
	loaded, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, loaded)
	files := flatten(t, loaded)
	checkFiles(t, o, files)
	checkRuns(t, files["/usr/local/bin/hello"].data)
}

func checkConfig(t *testing.T, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if got := strings.Join(c.Entrypoint, " "); got != "/usr/local/bin/hello" {
		t.Errorf("entrypoint %q", got)
	}
	if c.User != "65532:65532" || c.WorkingDir != "/" {
		t.Errorf("user %q workdir %q", c.User, c.WorkingDir)
	}
	if env := strings.Join(c.Env, " "); !strings.Contains(env, "SSL_CERT_FILE="+CABundle) || !strings.Contains(env, "PATH=") {
		t.Errorf("env %q", env)
	}
	if cf.Architecture != "amd64" || cf.OS != "linux" || !cf.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("platform %s/%s created %v", cf.OS, cf.Architecture, cf.Created)
	}
	want := map[string]string{"title": "hello", "version": "v1.0.0", "revision": "abc123", "source": "https://github.com/flotilla-gitops/flotilla"}
	for k, v := range want {
		if got := c.Labels["org.opencontainers.image."+k]; got != v {
			t.Errorf("label %s = %q, want %q", k, got, v)
		}
	}
	if layers, _ := img.Layers(); len(layers) != 3 {
		t.Errorf("%d layers, want 3 (base, binary, sbom)", len(layers))
	}
}

func checkFiles(t *testing.T, o Options, files map[string]file) {
	t.Helper()
	ca, err := os.ReadFile(o.CABundle)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path     string
		mode     int64
		contains string
	}{
		{"/etc/passwd", 0o644, "nonroot:x:65532:65532:"},
		{"/etc/group", 0o644, "nonroot:x:65532:"},
		{CABundle, 0o644, string(ca)},
		{"/usr/local/bin/hello", 0o755, ""},
		{"/tmp", 0o1777, ""},
		{"/usr/share/sbom/hello.spdx.json", 0o644, `"name": "example.com/hello"`},
	} {
		f, ok := files[c.path]
		if !ok {
			t.Errorf("%s missing from the image", c.path)
			continue
		}
		if f.hdr.Mode&0o7777 != c.mode || !bytes.Contains(f.data, []byte(c.contains)) {
			t.Errorf("%s: mode %o (want %o), content %.60q (want %q in it)", c.path, f.hdr.Mode, c.mode, f.data, c.contains)
		}
	}
	for p, f := range files {
		if !f.hdr.ModTime.Equal(o.Created) || (f.hdr.Uid != 0 && p != "/home/nonroot") {
			t.Errorf("%s: mtime %v uid %d", p, f.hdr.ModTime, f.hdr.Uid)
		}
	}
}

func checkRuns(t *testing.T, bin []byte) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Logf("not running the linux/amd64 binary on %s/%s", runtime.GOOS, runtime.GOARCH)
		return
	}
	path := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil || string(out) != "hello v1.0.0\n" {
		t.Errorf("extracted binary --version: %q, %v", out, err)
	}
}

func TestReproducible(t *testing.T) {
	// Two compilations in two directories: -trimpath and fixed times give
	// one digest.
	a, b := testOptions(t, buildHello(t)), testOptions(t, buildHello(t))
	da, db := digestOf(t, a), digestOf(t, b)
	if da != db {
		t.Errorf("two builds of one tree: %s and %s", da, db)
	}
	b.Created = time.Unix(1700000000, 0).UTC()
	if dc := digestOf(t, b); dc == da {
		t.Errorf("SOURCE_DATE_EPOCH changed nothing: %s", dc)
	}
}

func digestOf(t *testing.T, o Options) v1.Hash {
	t.Helper()
	img, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMissingCABundle(t *testing.T) {
	o := testOptions(t, os.Args[0])
	o.CABundle = filepath.Join(t.TempDir(), "none.crt")
	_, err := Build(o)
	if err == nil || !strings.Contains(err.Error(), o.CABundle) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("error %v, want the missing bundle named", err)
	}
}
