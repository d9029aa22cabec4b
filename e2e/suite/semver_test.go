package suite

import "testing"

// A Git targetRevision that is a semver constraint follows the highest tag
// it allows, as Argo CD: a new matching tag rolls out, one outside the
// constraint does not.
func TestSemverTagConstraint(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "semver")
	cm := func(v string) map[string]string {
		return map[string]string{"app/cm.yaml": configMapYAML("version", map[string]string{"v": v}, nil)}
	}
	r, _ := e.newRepo(t, cm("1.0.0"))
	tag := func(v string) string {
		sha := r.commit(t, "release "+v, cm(v))
		if err := e.git.Tag(r.name, "v"+v); err != nil {
			t.Fatal(err)
		}
		return sha
	}
	tag("1.0.0")
	want := tag("1.1.0")
	r.commit(t, "unreleased work on main", cm("main"))
	app := uniq("semver")
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--revision", "~1", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.waitRevision(t, app, want)
	want = tag("1.2.0")
	r.webhook(t)
	e.waitRevision(t, app, want)
	tag("2.0.0")
	// A refresh reconciles at once: had it chosen v2.0.0, the targets would
	// be assigned it now.
	if v := e.appGet(t, app, "--refresh"); v.Targets[0].Revision != want {
		t.Fatalf("after v2.0.0: revision %s, want v1.2.0's %s (v2.0.0 is outside ~1)", short(v.Targets[0].Revision), short(want))
	}
	for _, c := range e.clusters {
		got, ok := c.configMap(t, ns, "version")
		if !ok || got.Data["v"] != "1.2.0" {
			t.Errorf("%s: version %v, want 1.2.0 (v2.0.0 is outside ~1)", c.Name, got)
		}
	}
}
