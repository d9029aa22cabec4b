package render

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

var update = flag.Bool("update", false, "rewrite golden files")

func renderAt(t testing.TB, root string, src Source) (*Result, error) {
	t.Helper()
	repo, closeFn, err := OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return Render(ctx, repo, src, DefaultLimits())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name+".yaml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	tests := map[string]struct {
		src  Source
		kind Kind
		ids  []string // identities in output order
	}{
		"directory-recursive": {
			src:  Source{Path: "dir", Directory: DirectoryOptions{Recurse: true}},
			kind: Directory,
			ids:  []string{"ConfigMap/hidden", "ConfigMap/settings", "apps/Deployment/web", "ServiceAccount/web", "Secret/creds", "Service/web"},
		},
		"directory-flat": {
			src:  Source{Path: "dir"},
			kind: Directory,
			ids:  []string{"ConfigMap/settings", "apps/Deployment/web", "Service/web"},
		},
		"directory-include-exclude": {
			src:  Source{Path: "dir", Directory: DirectoryOptions{Recurse: true, Include: []string{"{*.json,sub/*}"}, Exclude: []string{"sub/list.yaml"}}},
			kind: Directory,
			ids:  []string{"Service/web"},
		},
		"kustomize-overlay": {
			src:  Source{Path: "kustomize/overlays/prod"},
			kind: Kustomize,
			ids:  []string{"ConfigMap/prod/prod-api-config-hf678c7m2b", "Service/prod/prod-api", "apps/Deployment/prod/prod-api"},
		},
		"helm-defaults": {
			src:  Source{Path: "chart"},
			kind: Helm,
			ids:  []string{"apps/Deployment/default/release-name-web", "Pod/release-name-smoke", "batch/Job/release-name-migrate"},
		},
		"helm-values-crds": {
			src: Source{Path: "chart", Helm: HelmOptions{ReleaseName: "demo", Namespace: "apps", ValueFiles: []string{"values-prod.yaml"},
				Values: "cluster: east", Set: []string{"image=nginx:1.28"}, KubeVersion: "v1.31.0", IncludeCRDs: true, SkipTests: true}},
			kind: Helm,
			ids:  []string{"apiextensions.k8s.io/CustomResourceDefinition/widgets.example.com", "apps/Deployment/apps/demo-web", "batch/Job/demo-migrate"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := renderAt(t, "testdata/repo", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if res.Kind != tc.kind {
				t.Errorf("kind = %s, want %s", res.Kind, tc.kind)
			}
			var ids []string
			for _, o := range res.Objects {
				ids = append(ids, object.IDOf(o).String())
			}
			if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
				t.Errorf("objects:\n got %v\nwant %v", ids, tc.ids)
			}
			out, err := object.EncodeYAML(res.Objects)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, out)
		})
	}
}

// writeTree creates files (path → content) under a new temp dir.
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

const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return b.String()
}

func TestRenderRefusesBadInput(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.yaml": fmt.Sprintf(cm, "stolen")})
	tests := map[string]struct {
		files   map[string]string
		links   map[string]string // link → target
		src     Source
		lim     func(*Limits)
		wantErr error
		wantMsg []string
	}{
		"dotdot-path": {
			files: map[string]string{"app/a.yaml": fmt.Sprintf(cm, "a")}, src: Source{Path: "../app"},
			wantErr: ErrEscape, wantMsg: []string{`"../app"`},
		},
		"dotdot-inside-path": {
			files: map[string]string{"app/a.yaml": fmt.Sprintf(cm, "a")}, src: Source{Path: "app/../../x"},
			wantErr: ErrEscape, wantMsg: []string{`"app/../../x"`},
		},
		"absolute-path": {
			files: map[string]string{"app/a.yaml": fmt.Sprintf(cm, "a")}, src: Source{Path: "/etc"},
			wantErr: ErrEscape, wantMsg: []string{`"/etc"`},
		},
		"symlink-file-escape": {
			files: map[string]string{"app/a.yaml": fmt.Sprintf(cm, "a")},
			links: map[string]string{"app/b.yaml": filepath.Join(outside, "secret.yaml")},
			src:   Source{Path: "app"}, wantErr: ErrEscape, wantMsg: []string{"app/b.yaml"},
		},
		"symlink-dir-escape": {
			files: map[string]string{"app/a.yaml": fmt.Sprintf(cm, "a")},
			links: map[string]string{"app2": outside},
			src:   Source{Path: "app2"}, wantErr: ErrEscape, wantMsg: []string{"app2"},
		},
		"helm-values-escape": {
			files: map[string]string{"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n", "c/templates/cm.yaml": fmt.Sprintf(cm, "a")},
			src:   Source{Path: "c", Helm: HelmOptions{ValueFiles: []string{"../../x.yaml"}}}, wantErr: ErrEscape, wantMsg: []string{"../../x.yaml"},
		},
		"helm-symlinked-template-escape": {
			files: map[string]string{"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n"},
			links: map[string]string{"c/templates/cm.yaml": filepath.Join(outside, "secret.yaml")},
			src:   Source{Path: "c"}, wantErr: ErrEscape, wantMsg: []string{"c/templates/cm.yaml"},
		},
		"helm-library-chart": {
			files:   map[string]string{"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\ntype: library\n", "c/templates/_x.tpl": "{{- define \"x\" }}{{ end }}"},
			src:     Source{Path: "c"},
			wantMsg: []string{"library charts are not installable"},
		},
		"kustomize-remote-base": {
			files:   map[string]string{"k/kustomization.yaml": "resources:\n  - github.com/example/repo//config?ref=v1\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{"k/kustomization.yaml", "github.com/example/repo"},
		},
		"kustomize-helm-charts": {
			files:   map[string]string{"k/base/kustomization.yaml": "helmCharts:\n  - {name: podinfo, repo: 'https://example.com/charts', version: 6.5.0}\n", "k/kustomization.yaml": "resources: [base]\n"},
			src:     Source{Path: "k"},
			wantErr: ErrKustomizeHelm, wantMsg: []string{"k/base/kustomization.yaml: helmCharts", "kustomize.enableHelm"},
		},
		"kustomize-remote-configmap-file": {
			files:   map[string]string{"k/kustomization.yaml": "configMapGenerator:\n  - name: c\n    files: [meta=http://169.254.169.254/latest/meta-data]\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{"169.254.169.254"},
		},
		"kustomize-remote-patch": {
			files:   map[string]string{"k/kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - path: https://example.com/patch.yaml\n", "k/cm.yaml": fmt.Sprintf(cm, "a")},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{"https://example.com/patch.yaml"},
		},
		// Forms Kustomize's Git URL parser accepts that the old filter let
		// through: krusty ran git fetch with the hub's environment.
		"kustomize-remote-scp-user": {
			files:   map[string]string{"k/kustomization.yaml": "resources:\n  - deploy@host:org/repo\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{"k/kustomization.yaml", `"deploy@host:org/repo"`},
		},
		"kustomize-remote-github-scp": {
			files:   map[string]string{"k/kustomization.yaml": "resources:\n  - github.com:org/repo\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{`"github.com:org/repo"`},
		},
		"kustomize-remote-forced-git": {
			files:   map[string]string{"k/kustomization.yaml": "bases:\n  - git::user@host:org/repo\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{`"git::user@host:org/repo"`},
		},
		"kustomize-remote-component-uppercase-scheme": {
			files:   map[string]string{"k/kustomization.yaml": "components:\n  - SSH://host/org/repo\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{`"SSH://host/org/repo"`},
		},
		"kustomize-remote-file-scheme": {
			files:   map[string]string{"k/kustomization.yaml": "resources:\n  - file:///srv/git/repo\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{`"file:///srv/git/repo"`},
		},
		"kustomize-oversized-resource": { // read by Kustomize's own loader
			files:   map[string]string{"k/kustomization.yaml": "resources: [big.yaml]\n", "k/big.yaml": fmt.Sprintf(cm, "big") + "data:\n  x: \"" + strings.Repeat("x", 4096) + "\"\n"},
			src:     Source{Path: "k"},
			lim:     func(l *Limits) { l.MaxFileBytes = 1024 },
			wantMsg: []string{"k/big.yaml", "size limit"}, // krusty flattens the error chain
		},
		// Kustomize parses a base as a Git URL before it looks on disk, so a
		// directory named like one would still be cloned.
		"kustomize-remote-shaped-local-dir": {
			files: map[string]string{"k/kustomization.yaml": "resources:\n  - git@host:org/repo\n",
				"k/git@host:org/repo/kustomization.yaml": "resources: []\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{`"git@host:org/repo"`},
		},
		"kustomize-remote-openapi": {
			files:   map[string]string{"k/kustomization.yaml": "openapi:\n  path: https://example.com/schema.json\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase,
		},
		"kustomize-remote-in-generator-dir": {
			files: map[string]string{"k/kustomization.yaml": "generators: [gen]\n",
				"k/gen/kustomization.yaml": "resources:\n  - github.com/example/repo//x?ref=v1\n"},
			src:     Source{Path: "k"},
			wantErr: ErrRemoteBase, wantMsg: []string{"k/gen/kustomization.yaml"},
		},
		"alias-bomb": {
			files:   map[string]string{"app/bomb.yaml": aliasBomb()},
			src:     Source{Path: "app"},
			wantErr: object.ErrAliasBomb, wantMsg: []string{"app/bomb.yaml", "document 1"},
		},
		"oversized-file": {
			files:   map[string]string{"app/big.yaml": fmt.Sprintf(cm, "big") + "data:\n  x: \"" + strings.Repeat("x", 4096) + "\"\n"},
			src:     Source{Path: "app"},
			lim:     func(l *Limits) { l.MaxFileBytes = 1024 },
			wantErr: object.ErrTooLarge, wantMsg: []string{"app/big.yaml"},
		},
		"too-many-documents": {
			files:   map[string]string{"app/many.yaml": strings.Repeat(fmt.Sprintf(cm, "x")+"---\n", 20)},
			src:     Source{Path: "app"},
			lim:     func(l *Limits) { l.MaxDocuments = 10 },
			wantErr: object.ErrTooManyDocs, wantMsg: []string{"app/many.yaml", "document 11"},
		},
		"too-many-objects": {
			files:   map[string]string{"app/many.yaml": strings.Repeat(fmt.Sprintf(cm, "x")+"---\n", 20)},
			src:     Source{Path: "app"},
			lim:     func(l *Limits) { l.MaxObjects = 5 },
			wantErr: ErrLimit, wantMsg: []string{"20 objects > 5"},
		},
		"deeply-nested": {
			files:   map[string]string{"app/deep.yaml": fmt.Sprintf(cm, "deep") + "data: " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n"},
			src:     Source{Path: "app"},
			wantErr: object.ErrTooDeep, wantMsg: []string{"app/deep.yaml"},
		},
		"malformed-yaml-names-line": {
			files:   map[string]string{"app/a.yaml": fmt.Sprintf(cm, "ok"), "app/b.yaml": fmt.Sprintf(cm, "ok2") + "---\n" + "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n   oops: [\n"},
			src:     Source{Path: "app"},
			wantMsg: []string{"app/b.yaml", "document 2", "line 10"},
		},
		"missing-kind": {
			files:   map[string]string{"app/a.yaml": "apiVersion: v1\nkind:\nmetadata:\n  name: x\n"},
			src:     Source{Path: "app"},
			wantErr: object.ErrNotAnObject, wantMsg: []string{"app/a.yaml", "document 1", "line 1", "missing kind"},
		},
		"helm-template-recursion": {
			files: map[string]string{"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
				"c/templates/_helpers.tpl": `{{- define "loop" -}}{{ include "loop" . }}{{- end -}}`,
				"c/templates/cm.yaml":      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: {{ include \"loop\" . }}\n"},
			src:     Source{Path: "c"},
			wantMsg: []string{"helm template c", "nested reference"},
		},
		"helm-template-error-names-file": {
			files: map[string]string{"c/Chart.yaml": "apiVersion: v2\nname: c\nversion: 0.1.0\n",
				"c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.field }}\n"},
			src:     Source{Path: "c"},
			wantMsg: []string{"c/templates/cm.yaml:4"},
		},
		"kustomize-missing-resource": {
			files:   map[string]string{"k/kustomization.yaml": "resources:\n  - nope.yaml\n"},
			src:     Source{Path: "k"},
			wantErr: ErrMissingBase, wantMsg: []string{"k/kustomization.yaml", `"nope.yaml"`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			for link, target := range tc.links {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, link)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
					t.Fatal(err)
				}
			}
			lim := DefaultLimits()
			if tc.lim != nil {
				tc.lim(&lim)
			}
			repo, closeFn, err := OpenRoot(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			res, err := Render(context.Background(), repo, tc.src, lim)
			if err == nil {
				t.Fatalf("no error; rendered %d objects", len(res.Objects))
			}
			if res != nil {
				t.Errorf("a failed render returned a result")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q is not %v", err, tc.wantErr)
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "stolen") {
				t.Errorf("error leaks content from outside the repository: %v", err)
			}
		})
	}
}

func TestGlobsLikeArgoCD(t *testing.T) {
	tests := []struct {
		glob, path string
		want       bool
	}{
		{"apps/*.yaml", "apps/x/y.yaml", true},
		{"prod/*", "prod/a/b.yaml", true},
		{"**/*.yaml", "a/b/c.yaml", true},
		{"*/secret.yaml", "a/b/secret.yaml", true},
		{"[!a]*.yaml", "b.yaml", true},
		{"[!a]*.yaml", "a.yaml", false},
		{"secret*", "sub/secret.yaml", false},
		{"{config.json,env-usw2/*}", "env-usw2/x.yaml", true},
		{"{config.json,env-usw2/*}", "config.json", true},
		{"{a,{b,c}}.yaml", "c.yaml", true},
		{"*.yaml", "x.yml", false},
		{"a?c.yaml", "abc.yaml", true},
	}
	for _, tc := range tests {
		if got := matchAny([]string{tc.glob}, tc.path); got != tc.want {
			t.Errorf("glob %q on %q = %v, want %v", tc.glob, tc.path, got, tc.want)
		}
	}
	if matchAny([]string{"{a,b"}, "a") {
		t.Errorf("a malformed glob matched")
	}
}

func TestDirectoryLikeArgoCD(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"app/cm.yaml":        fmt.Sprintf(cm, "a"),
		"app/renovate.json":  `{"extends": ["config:base"]}`,
		"app/values.yml":     "replicas: [unclosed\n",
		"app/.github/ci.yml": "on: push\njobs: {}\n",
		"app/.git/HEAD.yaml": "apiVersion: broken\n",
	})
	if err := os.Symlink("nowhere.yaml", filepath.Join(dir, "app", "dangling.yaml")); err != nil {
		t.Fatal(err)
	}
	res, err := renderAt(t, dir, Source{Path: "app", Directory: DirectoryOptions{Recurse: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].GetName() != "a" {
		t.Fatalf("objects: %v", res.Objects)
	}
	// A document meant as an object with a typo ("kinds:") is an error
	// naming file, document and line, not an object silently dropped (with
	// prune on, deleted); so is a broken document after good ones.
	for name, y := range map[string]string{
		"typo":       "apiVersion: v1\nkinds: ConfigMap\nmetadata: {name: x}\n",
		"no version": "kind: ConfigMap\nmetadata: {name: x}\n",
		"after good": fmt.Sprintf(cm, "a") + "---\nfoo: [bar\n",
	} {
		typo := writeTree(t, map[string]string{"app/x.yaml": y})
		_, err := renderAt(t, typo, Source{Path: "app"})
		if err == nil || !strings.Contains(err.Error(), "app/x.yaml: document") {
			t.Errorf("%s: %v, want an error naming app/x.yaml and the document", name, err)
		}
	}
	// A file that looks like a manifest but is broken is an error.
	bad := writeTree(t, map[string]string{"app/x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n"})
	if _, err := renderAt(t, bad, Source{Path: "app"}); err == nil || !strings.Contains(err.Error(), "app/x.yaml") {
		t.Errorf("broken manifest: %v", err)
	}
	// Jsonnet is rendered (jsonnet_test.go); what it outputs is checked as YAML is.
	js := writeTree(t, map[string]string{"app/x.jsonnet": "{}"})
	if _, err := renderAt(t, js, Source{Path: "app"}); err == nil || !strings.Contains(err.Error(), "app/x.jsonnet: output:") {
		t.Errorf("jsonnet: %v", err)
	}
}

func TestHelmValuesFromRepoRoot(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"charts/c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"charts/c/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
		"envs/prod/values.yaml":      "name: from-root\n",
	})
	res, err := renderAt(t, dir, Source{Path: "charts/c", Helm: HelmOptions{ValueFiles: []string{"/envs/prod/values.yaml"}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects[0].GetName() != "from-root" {
		t.Errorf("name = %s", res.Objects[0].GetName())
	}
}

func TestRenderFollowsSymlinksInsideRoot(t *testing.T) {
	dir := writeTree(t, map[string]string{"shared/cm.yaml": fmt.Sprintf(cm, "shared"), "app/own.yaml": fmt.Sprintf(cm, "own")})
	if err := os.Symlink("../shared/cm.yaml", filepath.Join(dir, "app", "linked.yaml")); err != nil {
		t.Fatal(err)
	}
	res, err := renderAt(t, dir, Source{Path: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 2 || res.Objects[0].GetName() != "shared" || res.Objects[1].GetName() != "own" {
		t.Fatalf("got %d objects: %v", len(res.Objects), res.Objects)
	}
}

func TestRenderHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	repo, closeFn, err := OpenRoot("testdata/repo")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if _, err := Render(ctx, repo, Source{Path: "dir"}, DefaultLimits()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDetect(t *testing.T) {
	repo, closeFn, err := OpenRoot("testdata/repo")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	for dir, want := range map[string]Kind{"dir": Directory, "kustomize/base": Kustomize, "chart": Helm, ".": Directory} {
		if got := Detect(repo, dir); got != want {
			t.Errorf("Detect(%s) = %s, want %s", dir, got, want)
		}
	}
}
