package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

const repo = "../pkg/render/testdata/repo"

func TestRenderVerb(t *testing.T) {
	out, errOut, code := run(t, "", "render", repo+"/kustomize/overlays/prod", "--root", repo)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"name: prod-api", "namespace: prod", "image: example/api:2.0", "replicas: 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("render output lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = run(t, "", "render", repo+"/chart", "--root", repo, "--release", "r1", "-n", "apps",
		"-f", repo+"/chart/values-prod.yaml", "--set", "cluster=west", "--kube-version", "1.30.0", "--include-crds")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"name: r1-web", "replicas: 3", "cluster: west", "kube: v1.30.0", "kind: CustomResourceDefinition", "name: r1-smoke"} {
		if !strings.Contains(out, want) {
			t.Errorf("helm render output lacks %q", want)
		}
	}
}

func TestBadInputIsOneClearLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: [oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		args []string
		code int
		want []string
	}{
		"malformed yaml":      {[]string{"render", dir}, 1, []string{"bad.yaml", "document 2", "line 7"}},
		"values outside root": {[]string{"render", repo + "/chart", "--root", repo, "-f", "/etc/hostname"}, 1, []string{"values file /etc/hostname", "leaves the repository root"}},
		"health bad file":     {[]string{"health", "-f", bad}, 1, []string{"bad.yaml", "document 2"}},
		"health no file":      {[]string{"health"}, 1, []string{"-f FILE is required"}},
		"plan bad option":     {[]string{"plan", repo + "/dir", "--sync-option", "Bogus=true"}, 1, []string{`unknown option "Bogus"`}},
		"plan bad output":     {[]string{"plan", repo + "/dir", "-o", "xml"}, 1, []string{`unknown output format "xml"`}},
		"diff error exits 2":  {[]string{"diff", "--desired", bad, "--live", bad}, 2, []string{"bad.yaml", "document 2"}},
		"diff missing flag":   {[]string{"diff", "--desired", bad}, 2, []string{"--desired and --live are both required"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if out != "" {
				t.Errorf("stdout not empty on error: %q", out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "flotilla: ") {
				t.Errorf("stderr is not one line: %q", errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}

func TestPlanVerbJSON(t *testing.T) {
	out, errOut, code := run(t, "", "plan", "../pkg/plan/testdata/app", "-n", "shop", "--live", "../pkg/plan/testdata/app-live.yaml", "--prune", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p struct {
		Hash  string `json:"hash"`
		Steps []struct {
			Phase   string           `json:"phase"`
			Wave    int              `json:"wave"`
			Actions []map[string]any `json:"actions"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Hash) != 64 || len(p.Steps) != 6 {
		t.Fatalf("hash %q, %d steps", p.Hash, len(p.Steps))
	}
	first := p.Steps[0].Actions[0]
	for _, k := range []string{"action", "apiVersion", "kind", "namespace", "name", "generateName"} {
		if _, ok := first[k]; !ok {
			t.Errorf("action lacks key %q: %v", k, first)
		}
	}
	var phases []string
	for _, s := range p.Steps {
		for _, a := range s.Actions {
			phases = append(phases, s.Phase+":"+a["action"].(string)+":"+a["kind"].(string))
		}
	}
	want := "PreSync:apply:Namespace PreSync:hook:Job Sync:prune:Deployment Sync:apply:ConfigMap Sync:apply:CustomResourceDefinition Sync:apply:Deployment Sync:apply:Cart PostSync:hook:Job SyncFail:hook:Job"
	if strings.Join(phases, " ") != want {
		t.Errorf("plan order\n got %s\nwant %s", strings.Join(phases, " "), want)
	}
	table, _, code := run(t, "", "plan", "../pkg/plan/testdata/app", "-n", "shop")
	if code != 0 || !strings.Contains(table, "PreSync") || !strings.Contains(table, "smoke-<generated>") {
		t.Errorf("table output:\n%s", table)
	}
}

func TestHealthVerbJSON(t *testing.T) {
	out, errOut, code := run(t, "", "health", "-f", "testdata/live.yaml", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var entries []map[string]string
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0]["kind"] != "Deployment" || entries[0]["status"] != "Healthy" || entries[1]["status"] != "Healthy" {
		t.Fatalf("entries: %v", entries)
	}
	for _, k := range []string{"apiVersion", "kind", "namespace", "name", "status", "message"} {
		if _, ok := entries[0][k]; !ok {
			t.Errorf("entry lacks %q", k)
		}
	}
	// stdin, and a Deployment that is still rolling out.
	stdin := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: ns, generation: 2}\nspec: {replicas: 2}\nstatus: {observedGeneration: 1}\n"
	out, _, code = run(t, stdin, "health", "-f", "-", "-o", "json")
	if code != 0 || !strings.Contains(out, `"status": "Progressing"`) {
		t.Errorf("stdin health: exit %d %s", code, out)
	}
}

func TestDiffVerb(t *testing.T) {
	out, errOut, code := run(t, "", "diff", "--desired", "testdata/desired.yaml", "--live", "testdata/live.yaml")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (differences): %s", code, errOut)
	}
	for _, want := range []string{"-  mode: slow", "+  mode: fast", "-  replicas: 5", "+  replicas: 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "imagePullPolicy") && strings.Contains(out, "-        imagePullPolicy") {
		t.Errorf("server defaults shown as drift:\n%s", out)
	}
	// Replicas owned by the HPA are ignored; the ConfigMap still differs.
	out, _, code = run(t, "", "diff", "--desired", "testdata/desired.yaml", "--live", "testdata/live.yaml", "--ignore-differences", "testdata/ignore.yaml", "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	status := map[string]any{}
	for _, e := range entries {
		status[e["kind"].(string)] = e["status"]
	}
	if status["Deployment"] != "Synced" || status["ConfigMap"] != "OutOfSync" {
		t.Errorf("statuses %v", status)
	}
	// Identical sides: exit 0, no output.
	out, _, code = run(t, "", "diff", "--desired", "testdata/desired.yaml", "--live", "testdata/desired.yaml")
	if code != 0 || out != "" {
		t.Errorf("identical: exit %d, output %q", code, out)
	}
}
