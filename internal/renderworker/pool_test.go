package renderworker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/pkg/render"
)

// Workers are this test binary, re-executed.
func TestMain(m *testing.M) {
	RunIfWorker("dir", nil)
	os.Exit(m.Run())
}

const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testLimits are small so that hostile renders die fast.
func testLimits() Limits {
	return Limits{Memory: 256 << 20, CPU: 30 * time.Second, Wall: time.Minute, MaxOutput: 16 << 20}
}

func newPool(t *testing.T, lim Limits) *Pool {
	t.Helper()
	p, err := New(Options{Workers: 1, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// kustomizeBomb is a billion-laughs resource behind a kustomization:
// Kustomize expands the aliases itself, before Flotilla's decoder runs.
func kustomizeBomb() map[string]string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return map[string]string{"k/kustomization.yaml": "resources: [bomb.yaml]\n", "k/bomb.yaml": b.String()}
}

// helmDoubler doubles a string 28 times (4 GiB) in a template.
func helmDoubler() map[string]string {
	return map[string]string{
		"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/templates/cm.yaml": "{{- $s := \"0123456789abcdef\" }}{{- range until 28 }}{{- $s = print $s $s }}{{- end }}\n" +
			fmt.Sprintf(cm, "big") + "data:\n  x: {{ $s | quote }}\n",
	}
}

func TestRendersInWorker(t *testing.T) {
	dir := writeTree(t, map[string]string{"app/a.yaml": fmt.Sprintf(cm, "a"), "app/b.yaml": fmt.Sprintf(cm, "b")})
	p := newPool(t, testLimits())
	res, err := p.Render(testCtx(t), Job{Dir: dir, Source: render.Source{Path: "app"}, Limits: render.DefaultLimits()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kind != render.Directory || len(res.Objects) != 2 || res.Objects[1].GetName() != "b" {
		t.Fatalf("got kind %q, %d objects", res.Kind, len(res.Objects))
	}
	// The hub's data directory may be relative; the worker runs elsewhere.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Render(testCtx(t), Job{Dir: rel, Source: render.Source{Path: "app"}, Limits: render.DefaultLimits()}); err != nil {
		t.Errorf("relative directory %s: %v", rel, err)
	}
}

// Each hostile render kills its worker with an error naming the limit,
// and the pool renders the next job as if nothing happened.
func TestLimitsKillTheWorkerNotThePool(t *testing.T) {
	spin := map[string]string{
		"c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/templates/cm.yaml": "{{- range until 100000 }}{{- range until 100000 }}{{- end }}{{- end }}\n" + fmt.Sprintf(cm, "spin"),
	}
	var many strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&many, cm+"data: {x: %q}\n---\n", fmt.Sprint("c", i), strings.Repeat("x", 100))
	}
	tests := map[string]struct {
		files   map[string]string
		path    string
		lim     func(*Limits)
		wantMsg string
	}{
		"kustomize-billion-laughs": {files: kustomizeBomb(), path: "k", wantMsg: "memory limit 256MiB exceeded"},
		"helm-string-doubling":     {files: helmDoubler(), path: "c", wantMsg: "memory limit 256MiB exceeded"},
		"cpu-loop": {files: spin, path: "c", wantMsg: "CPU time limit 2s exceeded",
			lim: func(l *Limits) { l.CPU = 2 * time.Second }},
		// 3s: the next render shares the limit, and must fit in it on a loaded CI machine.
		"wall-clock": {files: spin, path: "c", wantMsg: "time limit 3s exceeded",
			lim: func(l *Limits) { l.Wall = 3 * time.Second }},
		"output": {files: map[string]string{"app/many.yaml": many.String()}, path: "app", wantMsg: "output limit 1MiB exceeded",
			lim: func(l *Limits) { l.MaxOutput = 1 << 20 }},
	}
	ok := writeTree(t, map[string]string{"app/a.yaml": fmt.Sprintf(cm, "a")})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			lim := testLimits()
			if tc.lim != nil {
				tc.lim(&lim)
			}
			p := newPool(t, lim)
			dir := writeTree(t, tc.files)
			rl := render.DefaultLimits()
			rl.MaxDocuments = 100000
			_, err := p.Render(testCtx(t), Job{Dir: dir, Name: "app " + name, Source: render.Source{Path: tc.path}, Limits: rl})
			if !errors.Is(err, ErrKilled) || !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), "app "+name) {
				t.Fatalf("err = %v, want ErrKilled naming the app and %q", err, tc.wantMsg)
			}
			res, err := p.Render(testCtx(t), Job{Dir: ok, Source: render.Source{Path: "app"}, Limits: render.DefaultLimits()})
			if err != nil || len(res.Objects) != 1 {
				t.Fatalf("next render after the kill: %v", err)
			}
		})
	}
}

// Remote bases in every form Kustomize would clone are refused by name,
// inside a worker with no git, and nothing is left in TMPDIR.
func TestRemoteBasesRefusedInWorker(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	p := newPool(t, testLimits())
	for _, ref := range []string{"deploy@host:org/repo", "github.com:org/repo", "git::user@host:org/repo", "https://example.com/org/repo.git"} {
		dir := writeTree(t, map[string]string{"k/kustomization.yaml": "resources:\n  - " + ref + "\n"})
		_, err := p.Render(testCtx(t), Job{Dir: dir, Source: render.Source{Path: "k"}, Limits: render.DefaultLimits()})
		if !errors.Is(err, render.ErrRemoteBase) || !strings.Contains(err.Error(), `"`+ref+`"`) || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("%s: err = %v, want ErrRemoteBase naming it", ref, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left in TMPDIR: %s", e.Name())
	}
}

func TestWorkerEnvironmentHasNoGitOrNetwork(t *testing.T) {
	env := strings.Join(workerEnv("dir", "/tmp/x", testLimits()), "\n")
	for _, want := range []string{"\nPATH=\n", "\nHOME=/tmp/x\n", "\nTMPDIR=/tmp/x\n"} {
		if !strings.Contains("\n"+env+"\n", want) {
			t.Errorf("worker environment lacks %q:\n%s", strings.TrimSpace(want), env)
		}
	}
	if _, err := (refuseTransport{}).RoundTrip(mustRequest(t)); err == nil {
		t.Error("the worker's HTTP transport let a request through")
	}
}

func TestLimitsAndSizesValidate(t *testing.T) {
	for _, s := range []string{"1GiB", "512MiB", "64Ki", "1048576"} {
		if _, err := ParseSize(s); err != nil {
			t.Errorf("ParseSize(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "1GB", "-1", "x", "99999999999GiB"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
	if got := FormatSize(1 << 30); got != "1GiB" {
		t.Errorf("FormatSize(1<<30) = %q", got)
	}
	bad := map[string]func(*Limits){
		"memory": func(l *Limits) { l.Memory = 1 << 20 }, "CPU": func(l *Limits) { l.CPU = 0 },
		"timeout": func(l *Limits) { l.Wall = 0 }, "output": func(l *Limits) { l.MaxOutput = 10 },
	}
	for word, f := range bad {
		l := DefaultLimits()
		f(&l)
		if err := l.Validate(); err == nil || !strings.Contains(err.Error(), word) {
			t.Errorf("bad %s limit: %v", word, err)
		}
		if _, err := New(Options{Limits: l}); err == nil {
			t.Errorf("New accepted a bad %s limit", word)
		}
	}
}
