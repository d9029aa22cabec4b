package suite

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Tried as a new user would: an application whose repository is
// unreachable and whose destination cluster is not registered shows why
// (Argo CD's InvalidSpecError and ComparisonError) in app get, and app wait
// fails at once naming them; a render failure on a real cluster's target
// is a ComparisonError naming the cluster; fixed, the conditions go.
func TestApplicationConditions(t *testing.T) {
	e := suite(t)
	lost := uniq("lost")
	e.createApp(t, lost, "--repo", "http://127.0.0.1:1/nowhere.git", "--path", "app", "--dest-cluster", "no-such-cluster", "--dest-namespace", "default")
	eventually(t, 30*time.Second, "conditions of "+lost, func() (bool, string) {
		v := e.appGet(t, lost)
		var spec, cmp bool
		for _, c := range v.Conditions {
			spec = spec || c.Type == "InvalidSpecError" && strings.Contains(c.Message, "no-such-cluster")
			cmp = cmp || c.Type == "ComparisonError" && strings.Contains(c.Message, "nowhere.git")
		}
		return spec && cmp, v.String()
	})
	if out := e.must(t, "app", "get", lost); !strings.Contains(out, "Conditions:") || !strings.Contains(out, "InvalidSpecError") {
		t.Errorf("app get %s: want a Conditions section\n%s", lost, out)
	}
	start := time.Now()
	r := e.run(context.Background(), e.token, "app", "wait", lost, "--timeout", "2m")
	if r.code != 1 || !strings.Contains(r.stderr, "InvalidSpecError") || time.Since(start) > 30*time.Second {
		t.Errorf("app wait on an application with conditions: want exit 1 at once naming them (took %s)\n%s", time.Since(start), r)
	}

	ns := e.namespace(t, "conditions")
	repo, _ := e.newRepo(t, map[string]string{"app/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [not, a, map]\n"})
	broken := uniq("broken")
	c := e.clusters[0]
	e.createApp(t, broken, "--repo", repo.url, "--path", "app", "--dest-cluster", c.Name, "--dest-namespace", ns, "--auto-sync")
	eventually(t, 30*time.Second, "render failure condition of "+broken, func() (bool, string) {
		v := e.appGet(t, broken)
		for _, cd := range v.Conditions {
			if cd.Type == "ComparisonError" && cd.Cluster == c.Name && strings.Contains(cd.Message, "bad.yaml") {
				return true, ""
			}
		}
		return false, v.String()
	})
	repo.commit(t, "fixed", map[string]string{"app/bad.yaml": configMapYAML("good", map[string]string{"k": "v"}, nil)})
	eventually(t, time.Minute, "conditions cleared once fixed", func() (bool, string) {
		v := e.appGet(t, broken, "--refresh")
		return len(v.Conditions) == 0, v.String()
	})
	e.appWait(t, broken)
}
