package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// An application of several sources (applied as Argo CD YAML): app set
// edits the one --source-position names; source flags without it, or a
// position out of range, are refused naming the count.
func TestSourcePosition(t *testing.T) {
	g, _ := startHub(t)
	must := mustRun(t, g)
	must("apply", "-f", writeTemp(t, `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: prom}
spec:
  sources:
  - repoURL: https://charts.example.com/stable
    chart: exporter
    targetRevision: ~1.2
    helm: {valueFiles: [$values/exporter.yaml]}
  - {repoURL: https://git.example.com/values.git, targetRevision: main, ref: values}
  destination: {name: east, namespace: monitoring}
`))
	must("app", "set", "prom", "--source-position", "1", "--revision", "~1.3", "--force")
	must("app", "set", "prom", "--source-position", "2", "--revision", "prod", "--force")
	var v struct {
		Repo string `json:"repo"`
		Spec struct {
			Sources []struct {
				TargetRevision string `json:"targetRevision"`
				Ref            string `json:"ref"`
			} `json:"sources"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(must("app", "get", "prom", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	if s := v.Spec.Sources; len(s) != 2 || s[0].TargetRevision != "~1.3" || s[1].TargetRevision != "prod" || s[1].Ref != "values" || v.Repo != "https://charts.example.com/stable" {
		t.Errorf("after app set: %+v", v)
	}
	for args, want := range map[string]string{
		"--revision ~2":                    "application prom has 2 sources: give --source-position (1 to 2)",
		"--source-position 3 --revision x": "--source-position 3: application prom has sources 1 to 2",
		"--source-position 0 --revision x": "--source-position 0: application prom has sources 1 to 2",
	} {
		_, errOut, code := run(t, "", append(append(g, "app", "set", "prom", "--force"), strings.Fields(args)...)...)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("app set %s: exit %d %q, want %q", args, code, errOut, want)
		}
	}
	// A single-source application takes --source-position 1 only.
	must("app", "create", "web", "--repo", "https://git.example.com/web.git", "--path", "web", "--dest-cluster", "east", "--source-position", "1")
	if _, errOut, code := run(t, "", append(g, "app", "set", "web", "--source-position", "2", "--path", "x")...); code == 0 || !strings.Contains(errOut, "--source-position 2: application web has one source") {
		t.Errorf("single source, position 2: exit %d %q", code, errOut)
	}
}
