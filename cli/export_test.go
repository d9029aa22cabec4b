package cli

import (
	"os"
	"strings"
	"testing"
)

// What `flotilla export` writes applies back unchanged (stdin), projects,
// cluster labels, applications with their rollout strategy and sets alike;
// --dry-run of a change prints its diff and changes nothing.
func TestExportAppliesBackUnchanged(t *testing.T) {
	g, repo := startHub(t)
	must := mustRun(t, g)
	must("cluster", "add", "east", "--label", "env=prod")
	must("project", "create", "team-a", "--repo", "*", "--dest", "*:*", "--deny-cluster-resource", "rbac.authorization.k8s.io/ClusterRole")
	rollout := t.TempDir() + "/rollout.yaml"
	writeFile(t, rollout, "maxUnavailable: 2\nsteps:\n- name: canary\n  selector: {env: prod}\n  bakeSeconds: 60\n")
	must("app", "create", "web.one", "--project", "team-a", "--repo", repo, "--path", "web", "--dest-selector", "env=prod",
		"--dest-namespace", "web", "--auto-sync", "--rollout", rollout)
	set := `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: per-cluster}
spec:
  generators: [{clusters: {}}]
  template:
    metadata: {name: '{{name}}-web'}
    spec:
      source: {repoURL: ` + repo + `, path: web}
      destination: {name: '{{name}}', namespace: web}
`
	out, errOut, code := run(t, set, append(g, "apply", "-f", "-")...)
	if code != 0 || !strings.Contains(out, "applicationset/per-cluster created") {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	// The set has generated east's application before anything is exported.
	waitForOK(t, func() bool { return strings.Contains(must("appset", "get", "per-cluster", "-o", "json"), "east-web") })
	if all := must("export", "--all"); !strings.Contains(all, "name: east-web") {
		t.Errorf("export --all lacks the set's generated application:\n%s", all)
	}
	exported := must("export")
	for _, want := range []string{"kind: Project", "kind: Cluster", "env: prod", "kind: Application", "name: web.one", "bakeSeconds: 60",
		"kind: ApplicationSet", "clusterResourceBlacklist"} {
		if !strings.Contains(exported, want) {
			t.Errorf("export lacks %q:\n%s", want, exported)
		}
	}
	if strings.Contains(exported, "east-web") {
		t.Errorf("export holds the set's generated application (Git declares it; --all only):\n%s", exported)
	}
	out, errOut, code = run(t, exported, append(g, "apply", "-f", "-")...)
	if code != 0 || strings.Count(out, " unchanged") != 4 || strings.Contains(out, "updated") {
		t.Fatalf("applying the export back: exit %d, want 4 unchanged\n%s%s", code, out, errOut)
	}
	changed := strings.Replace(exported, "path: web", "path: web2", 1)
	out, _, code = run(t, changed, append(g, "apply", "-f", "-", "--dry-run")...)
	if code != 0 || !strings.Contains(out, "application/web.one updated (dry run)") || !strings.Contains(out, "+    path: web2") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if got := must("app", "get", "web.one", "-o", "yaml"); !strings.Contains(got, "path: web\n") {
		t.Errorf("a dry run changed the application:\n%s", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
