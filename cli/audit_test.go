package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestAuditVerb(t *testing.T) {
	g, _ := startHub(t)
	must := mustRun(t, g)
	must("cluster", "add", "east")
	if _, _, code := run(t, "", append(g, "cluster", "remove", "west")...); code == 0 {
		t.Fatal("cluster remove west (not registered) succeeded")
	}
	must("cluster", "list")
	var all []auditView
	if err := json.Unmarshal([]byte(must("audit", "--since", "1h", "-o", "json")), &all); err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Name != "east" || all[0].Code != "OK" || all[1].Name != "west" || all[1].Code != "NotFound" {
		t.Fatalf("audit -o json: %+v, want add east (OK) then remove west (NotFound)", all)
	}
	out := must("audit", "--failed")
	if !strings.Contains(out, "RemoveCluster") || !strings.Contains(out, "cluster/west") || strings.Contains(out, "AddCluster") {
		t.Errorf("audit --failed:\n%s", out)
	}
	out = must("audit", "--limit", "1", "--kind", "cluster", "--method", "AddCluster")
	if !strings.Contains(out, "cluster/east") || strings.Contains(out, "west") {
		t.Errorf("audit --limit 1 --method AddCluster:\n%s", out)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if out := must("audit", "--since", future, "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("audit --since %s: %s, want []", future, out)
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--limit", "-1"}, {"-o", "yaml"}} {
		_, errOut, code := run(t, "", append(append(g, "audit"), bad...)...)
		if code == 0 || !strings.Contains(errOut, bad[0]) && !strings.Contains(errOut, bad[1]) {
			t.Errorf("audit %v: exit %d, %q; want a refusal naming the flag", bad, code, errOut)
		}
	}
}
