package suite

import (
	"slices"
	"testing"
)

// Scenario 3: a new commit rolls out automatically on a push webhook; a
// commit that touches nothing the application renders changes nothing (no
// new history entry, no write to the cluster).
func TestCommitRollsOutUnrelatedCommitDoesNot(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "rollout")
	app := uniq("rollout")
	r, first := e.newRepo(t, map[string]string{
		"app/settings.yaml": configMapYAML("settings", map[string]string{"version": "v1"}, nil),
		"other/README.md":   "not part of the application\n",
	})
	e.createApp(t, app, "--repo", r.url, "--revision", "main", "--path", "app",
		"--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.waitRevision(t, app, first)

	second := r.commit(t, "v2", map[string]string{"app/settings.yaml": configMapYAML("settings", map[string]string{"version": "v2"}, nil)})
	if got := r.webhook(t); !slices.Contains(got, r.url) {
		t.Fatalf("webhook refreshed %v, want %s", got, r.url)
	}
	e.waitRevision(t, app, second)
	rvs := map[string]string{}
	for _, c := range e.clusters {
		cm, ok := c.configMap(t, ns, "settings")
		if !ok || cm.Data["version"] != "v2" {
			t.Fatalf("%s: ConfigMap settings %v (exists %v), want version v2", c.Name, cm, ok)
		}
		rvs[c.Name] = cm.ResourceVersion
	}
	before := e.history(t, app)
	for _, c := range e.clusters {
		h := historyOf(before, c.Name)
		if len(h) != 2 || h[1].Revision != second || h[1].Result != resultSucceeded {
			t.Fatalf("%s: history %+v, want 2 entries, the last at %s Succeeded", c.Name, h, short(second))
		}
	}

	r.commit(t, "docs only", map[string]string{"other/README.md": "still not part of the application\n"})
	if got := r.webhook(t); !slices.Contains(got, r.url) {
		t.Fatalf("webhook refreshed %v, want %s", got, r.url)
	}
	// --refresh fetches and reconciles synchronously: once it returns the
	// hub has seen the unrelated commit.
	v := e.appGet(t, app, "--refresh")
	for _, tv := range v.Targets {
		if tv.Sync != "Synced" || tv.Health != "Healthy" || tv.phase() != "Succeeded" {
			t.Errorf("%s after an unrelated commit: sync %s health %s operation %s, want Synced Healthy Succeeded",
				tv.Cluster, tv.Sync, tv.Health, tv.phase())
		}
	}
	if after := e.history(t, app); len(after) != len(before) {
		t.Errorf("an unrelated commit added history entries: %d before, %d after:\n%+v", len(before), len(after), after)
	}
	for _, c := range e.clusters {
		cm, ok := c.configMap(t, ns, "settings")
		if !ok {
			t.Errorf("%s: ConfigMap settings gone after an unrelated commit", c.Name)
		} else if cm.ResourceVersion != rvs[c.Name] {
			t.Errorf("%s: an unrelated commit wrote ConfigMap settings (resourceVersion %s, was %s)", c.Name, cm.ResourceVersion, rvs[c.Name])
		}
	}
}
