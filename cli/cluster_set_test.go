package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// Relabelling a cluster moves an application selecting by label onto and
// off it; bad labels are refused naming them; rotate-token prints a new
// token once.
func TestClusterSetLabelsMovesTargets(t *testing.T) {
	g, repo := startHub(t)
	must := mustRun(t, g)
	must("cluster", "add", "east", "--label", "env=prod")
	oldWest := strings.TrimSpace(must("cluster", "add", "west", "--label", "canary=yes"))
	must("app", "create", "web", "--repo", repo, "--path", "web", "--dest-selector", "env=prod", "--dest-namespace", "shop")
	targets := func() []string {
		t.Helper()
		var v appView
		if err := json.Unmarshal([]byte(must("app", "get", "web", "--refresh", "-o", "json")), &v); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tv := range v.Targets {
			out = append(out, tv.Cluster)
		}
		return out
	}
	if got := targets(); !slices.Equal(got, []string{"east"}) {
		t.Fatalf("targets %v, want [east]", got)
	}
	out := must("cluster", "set", "west", "--label", "env=prod", "--label", "canary-", "-o", "json")
	var cv clusterView
	if err := json.Unmarshal([]byte(out), &cv); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(cv.Labels) != 1 || cv.Labels["env"] != "prod" {
		t.Errorf("west's labels %v, want only env=prod", cv.Labels)
	}
	if got := targets(); !slices.Equal(got, []string{"east", "west"}) {
		t.Errorf("after labelling west env=prod: targets %v, want [east west]", got)
	}
	must("cluster", "set", "east", "--label", "env-")
	if got := targets(); !slices.Equal(got, []string{"west"}) {
		t.Errorf("after removing east's env: targets %v, want [west]", got)
	}

	for args, want := range map[string]string{
		"bad key/x=1": `setLabels key "bad key/x"`,
		"env=not ok!": `setLabels env value "not ok!"`,
		"-":           `--label "-"`,
		"novalue":     `--label "novalue"`,
		"bad key-":    `removeLabels key "bad key"`,
	} {
		_, errOut, code := run(t, "", append(g, "cluster", "set", "west", "--label", args)...)
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("cluster set --label %q: exit %d, %q; want an error with %s", args, code, errOut, want)
		}
	}
	if _, errOut, code := run(t, "", append(g, "cluster", "set", "nowhere", "--label", "a=b")...); code != 1 || !strings.Contains(errOut, "NotFound") {
		t.Errorf("cluster set on a missing cluster: exit %d, %q", code, errOut)
	}

	tok, errOut, code := run(t, "", append(g, "cluster", "rotate-token", "west")...)
	if tok = strings.TrimSpace(tok); code != 0 || !strings.HasPrefix(tok, "flts_") || strings.Contains(tok, "\n") || tok == oldWest {
		t.Errorf("rotate-token prints %q (exit %d, %s), want a new token alone", tok, code, errOut)
	}
}
