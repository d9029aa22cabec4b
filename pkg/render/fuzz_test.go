package render

import (
	"bytes"
	"context"
	"os"
	"testing"
	"testing/fstest"
	"time"
)

// fuzzLimits keep one input cheap; the properties hold at any limits.
func fuzzLimits() Limits {
	l := DefaultLimits()
	l.MaxFileBytes, l.MaxDocuments, l.MaxNodes, l.MaxDepth, l.MaxObjects = 1<<20, 100, 20000, 50, 1000
	return l
}

func fuzzRender(t *testing.T, repo fstest.MapFS, src Source) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := Render(ctx, repo, src, fuzzLimits())
	if err == nil && res == nil {
		t.Fatal("no error and no result")
	}
	if err != nil && res != nil {
		t.Fatal("an error and a result")
	}
}

// FuzzRenderDirectory: any manifest file renders or fails; nothing panics.
func FuzzRenderDirectory(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n"), "a.yaml")
	f.Add([]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}`), "j.json")
	f.Add([]byte("x: &x [1]\ny: [*x]\n"), "values.yaml")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if !fsValidName(name) {
			return
		}
		fuzzRender(t, fstest.MapFS{"app/" + name: {Data: data}}, Source{Path: "app", Directory: DirectoryOptions{Recurse: true}})
	})
}

// FuzzRenderKustomize: any kustomization over a base and a resource
// renders or fails; none makes Kustomize fetch anything (no git on PATH
// here, and a clone attempt leaves a kustomize-* directory in TMPDIR).
func FuzzRenderKustomize(f *testing.F) {
	tmp := f.TempDir()
	f.Setenv("TMPDIR", tmp)
	f.Setenv("PATH", "")
	f.Add([]byte("resources: [cm.yaml, base]\nnamePrefix: p-\ncommonLabels: {app: x}\n"))
	f.Add([]byte("resources: [base]\npatches:\n  - path: patch.yaml\n"))
	f.Add([]byte("resources:\n  - github.com:org/repo\n"))
	f.Add([]byte("configMapGenerator:\n  - name: g\n    literals: [a=b]\n    files: [cm.yaml]\n"))
	f.Add([]byte("resources: [cm.yaml]\nimages:\n  - {name: nginx, newTag: '1.2'}\nreplicas:\n  - {name: d, count: 2}\n"))
	f.Fuzz(func(t *testing.T, kz []byte) {
		if bytes.Count(kz, []byte("*")) > 8 {
			return // alias expansion inside Kustomize is the worker's memory limit's job
		}
		repo := fstest.MapFS{
			"k/kustomization.yaml":      {Data: kz},
			"k/cm.yaml":                 {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")},
			"k/patch.yaml":              {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\ndata: {x: y}\n")},
			"k/base/kustomization.yaml": {Data: []byte("resources: [cm.yaml]\n")},
			"k/base/cm.yaml":            {Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n")},
		}
		fuzzRender(t, repo, Source{Path: "k", Kind: Kustomize})
		if left, err := os.ReadDir(tmp); err != nil || len(left) > 0 {
			t.Fatalf("Kustomize tried to fetch (left %v in TMPDIR, %v) for:\n%s", left, err, kz)
		}
	})
}

func fsValidName(name string) bool {
	return name != "" && !bytes.ContainsAny([]byte(name), "/\\\x00") && name != "." && name != ".."
}
