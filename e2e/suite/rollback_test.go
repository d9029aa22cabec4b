package suite

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Scenario 8: with automated sync off, `app sync` deploys each revision
// and `app rollback` re-applies an earlier one from the history.
func TestRollbackFromHistory(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "rollback")
	app := uniq("rollback")
	cm := func(v string) map[string]string {
		return map[string]string{"app/settings.yaml": configMapYAML("settings", map[string]string{"version": v}, nil)}
	}
	r, first := e.newRepo(t, cm("v1"))
	e.createApp(t, app, "--repo", r.url, "--revision", "main", "--path", "app",
		"--dest-selector", clusterLabel, "--dest-namespace", ns)
	eventually(t, 30*time.Second, "targets OutOfSync and not synced (no automated sync)", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.Sync != "OutOfSync" || tv.phase() != "" {
				return false, v.String()
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
	versions := func(want string) {
		t.Helper()
		for _, c := range e.clusters {
			got, ok := c.configMap(t, ns, "settings")
			if !ok || got.Data["version"] != want {
				t.Fatalf("%s: ConfigMap settings %v (exists %v), want version %s", c.Name, got, ok, want)
			}
		}
	}
	for _, c := range e.clusters {
		if _, ok := c.configMap(t, ns, "settings"); ok {
			t.Fatalf("%s: applied before any sync", c.Name)
		}
	}

	e.must(t, "app", "sync", app)
	e.appWait(t, app)
	versions("v1")
	second := r.commit(t, "v2", cm("v2"))
	e.must(t, "app", "sync", app)
	e.waitRevision(t, app, second)
	versions("v2")

	h := e.history(t, app)
	var firstID int64
	for _, c := range e.clusters {
		hc := historyOf(h, c.Name)
		if len(hc) != 2 || hc[0].Revision != first || hc[1].Revision != second ||
			hc[0].Result != resultSucceeded || hc[1].Result != resultSucceeded {
			t.Fatalf("%s: history %+v, want v1 then v2, both Succeeded", c.Name, hc)
		}
		if firstID != 0 && hc[0].ID != firstID {
			t.Fatalf("history IDs differ between clusters: %+v", h)
		}
		firstID = hc[0].ID
	}
	e.must(t, "app", "rollback", app, strconv.FormatInt(firstID, 10))
	eventually(t, time.Minute, "rollback to v1 finished on every cluster", func() (bool, string) {
		h := e.history(t, app)
		for _, c := range e.clusters {
			hc := historyOf(h, c.Name)
			if len(hc) != 3 || hc[2].Revision != first || hc[2].Result != resultSucceeded {
				return false, fmt.Sprintf("%+v", h)
			}
		}
		return true, ""
	})
	versions("v1")
	eventually(t, 10*time.Second, "targets at v1 and Healthy", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.Revision != first || tv.Health != "Healthy" {
				return false, v.String()
			}
		}
		return true, ""
	})

	// As in Argo CD, rollback is refused while automated sync would undo it.
	e.must(t, "app", "set", app, "--auto-sync")
	if r := e.flotilla(t, "app", "rollback", app, strconv.FormatInt(firstID, 10)); r.code != 1 || !strings.Contains(r.stderr, "automated") {
		t.Errorf("rollback with automated sync on: want exit 1 naming automated sync\n%s", r)
	}
	// and automated sync brings Git's revision back.
	e.waitRevision(t, app, second)
	versions("v2")
}
