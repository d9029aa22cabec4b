package render

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const depTemplate = `apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Chart.Name }}-{{ .Values.suffix }}}
data: {version: "{{ .Chart.Version }}"}
`

// Dependencies `helm dependency build` would put in charts/: file://
// ones from the repository (never outside it), others from the charts the
// caller fetched; one neither provides is named missing.
func TestChartDependencies(t *testing.T) {
	repo, fetched := t.TempDir(), t.TempDir()
	writeFiles(t, repo, map[string]string{
		"app/Chart.yaml": `apiVersion: v2
name: app
version: 1.0.0
dependencies:
- {name: common, version: 0.1.0, repository: "file://../common"}
- {name: redis, version: "~2.0", repository: "https://charts.example.com", alias: cache}
`,
		"app/values.yaml":              "common: {suffix: c}\ncache: {suffix: r}\n",
		"common/Chart.yaml":            "apiVersion: v2\nname: common\nversion: 0.1.0\n",
		"common/templates/cm.yaml":     depTemplate,
		"escape/Chart.yaml":            "apiVersion: v2\nname: escape\nversion: 1.0.0\ndependencies:\n- {name: common, version: 0.1.0, repository: \"file://../../outside\"}\n",
		"missing/Chart.yaml":           "apiVersion: v2\nname: missing\nversion: 1.0.0\ndependencies:\n- {name: redis, version: 2.0.1, repository: \"https://charts.example.com\"}\n",
		"missing/templates/empty.yaml": "",
	})
	writeFiles(t, fetched, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: redis\nversion: 2.0.3\n",
		"templates/cm.yaml": depTemplate,
	})
	root, closeRoot, err := OpenRoot(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRoot()
	deps := []ChartDependency{{Name: "redis", Version: "2.0.3", Dir: fetched}}
	if got := renderedVersions(t, root, deps); got != "cache-r@2.0.3,common-c@0.1.0" {
		t.Errorf("rendered %s", got)
	}

	_, err = Render(context.Background(), root, Source{Path: "escape"}, DefaultLimits())
	if !errors.Is(err, ErrEscape) || !strings.Contains(err.Error(), "dependency common: repository file://../../outside") {
		t.Errorf("escape: %v", err)
	}
	_, err = Render(context.Background(), root, Source{Path: "missing"}, DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("missing: %v", err)
	}
}

// Two aliases of one chart at two versions: each gets the version its
// constraint allows.
func TestChartDependencyAliasesAtTwoVersions(t *testing.T) {
	repo, v1, v2 := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, repo, map[string]string{
		"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" +
			"- {name: redis, version: ~1.0, repository: https://charts.example.com, alias: old}\n" +
			"- {name: redis, version: ~2.0, repository: https://charts.example.com, alias: new}\n",
		"app/values.yaml": "old: {suffix: o}\nnew: {suffix: nn}\n",
	})
	for dir, v := range map[string]string{v1: "1.0.4", v2: "2.0.1"} {
		writeFiles(t, dir, map[string]string{"Chart.yaml": "apiVersion: v2\nname: redis\nversion: " + v + "\n", "templates/cm.yaml": depTemplate})
	}
	root, closeRoot, err := OpenRoot(repo)
	if err != nil {
		t.Fatal(err)
	}
	defer closeRoot()
	deps := []ChartDependency{{Name: "redis", Version: "1.0.4", Dir: v1}, {Name: "redis", Version: "2.0.1", Dir: v2}}
	if s := renderedVersions(t, root, deps); s != "new-nn@2.0.1,old-o@1.0.4" {
		t.Errorf("rendered %s", s)
	}
}

// renderedVersions renders the chart "app" with deps and lists its
// objects as NAME@data.version.
func renderedVersions(t *testing.T, root fs.FS, deps []ChartDependency) string {
	t.Helper()
	res, err := Render(context.Background(), root, Source{Path: "app", Helm: HelmOptions{Dependencies: deps}}, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range res.Objects {
		v, _, _ := unstructured.NestedString(u.Object, "data", "version")
		names = append(names, u.GetName()+"@"+v)
	}
	return strings.Join(names, ",")
}
