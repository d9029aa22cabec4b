package cli

import (
	"strings"
	"testing"
)

func labelledApp(name, team, repo string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ` + name + `, labels: {team: ` + team + `}}
spec:
  source: {repoURL: ` + repo + `, path: web}
  destination: {name: east, namespace: web}
---
`
}

// apply --prune -l deletes what the API declared with those labels and the
// documents no longer hold, nothing else; a dry run deletes nothing;
// --prune without -l is refused naming it.
func TestApplyPrune(t *testing.T) {
	g, repo := startHub(t)
	must := mustRun(t, g)
	all := labelledApp("a1", "a", repo) + labelledApp("a2", "a", repo) + labelledApp("b1", "b", repo)
	if out, errOut, code := run(t, all, append(g, "apply", "-f", "-")...); code != 0 {
		t.Fatalf("apply: %s%s", out, errOut)
	}
	if _, errOut, code := run(t, all, append(g, "apply", "-f", "-", "--prune")...); code == 0 || !strings.Contains(errOut, "--prune: needs -l") {
		t.Errorf("--prune without -l: exit %d %s", code, errOut)
	}
	only := labelledApp("a1", "a", repo)
	out, _, code := run(t, only, append(g, "apply", "-f", "-", "--prune", "-l", "team=a", "--dry-run")...)
	if code != 0 || !strings.Contains(out, "application/a2 deleted (dry run)") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if !strings.Contains(must("app", "list"), "a2") {
		t.Fatal("a dry run deleted a2")
	}
	out, _, code = run(t, only, append(g, "apply", "-f", "-", "--prune", "-l", "team=a")...)
	if code != 0 || !strings.Contains(out, "application/a2 deleted") || strings.Contains(out, "b1") {
		t.Fatalf("prune: exit %d\n%s", code, out)
	}
	list := must("app", "list")
	if strings.Contains(list, "a2") || !strings.Contains(list, "a1") || !strings.Contains(list, "b1") {
		t.Errorf("after the prune, want a1 and b1 only:\n%s", list)
	}
}
