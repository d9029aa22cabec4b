package suite

import (
	"strings"
	"testing"
	"time"
)

// A manual sync's overrides take effect on a real cluster: --dry-run
// changes nothing and shows the diff, --resource syncs only what it names,
// --prune prunes what the policy would keep, --confirm-prune runs prunes
// waiting on Prune=confirm, --revision deploys another commit, and the
// hub refuses what it cannot honour, naming it.
func TestSyncOverrides(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	ns := e.namespace(t, "overrides")
	cm := func(name, v string, ann ...string) string {
		a := map[string]string{}
		for i := 0; i+1 < len(ann); i += 2 {
			a[ann[i]] = ann[i+1]
		}
		return configMapYAML(name, map[string]string{"v": v}, a)
	}
	repo, first := e.newRepo(t, map[string]string{"app/a.yaml": cm("a", "1"), "app/b.yaml": cm("b", "1"), "app/gone.yaml": cm("gone", "1"),
		"app/confirm.yaml": cm("confirm", "1", "argocd.argoproj.io/sync-options", "Prune=confirm")})
	app := uniq("overrides")
	e.createApp(t, app, "--repo", repo.url, "--path", "app", "--dest-cluster", c.Name, "--dest-namespace", ns)
	e.must(t, "app", "sync", app)
	value := func(name string) string {
		got, ok := c.configMap(t, ns, name)
		if !ok {
			return "<absent>"
		}
		return got.Data["v"]
	}
	waitValues := func(what string, want map[string]string) {
		t.Helper()
		eventually(t, time.Minute, what, func() (bool, string) {
			var b strings.Builder
			ok := true
			for n, v := range want {
				got := value(n)
				ok = ok && got == v
				b.WriteString(n + "=" + got + " ")
			}
			return ok, b.String()
		})
	}
	waitValues("first sync", map[string]string{"a": "1", "b": "1", "gone": "1", "confirm": "1"})

	repo.commit(t, "v2, two objects removed", map[string]string{"app/a.yaml": cm("a", "2"), "app/b.yaml": cm("b", "2"), "app/gone.yaml": "", "app/confirm.yaml": ""})
	out := e.must(t, "app", "sync", app, "--dry-run")
	if !strings.Contains(out, "nothing was assigned") || !strings.Contains(out, "ConfigMap "+ns+"/a") || !strings.Contains(out, "ConfigMap "+ns+"/b") {
		t.Errorf("dry run: want the diff of a and b and that nothing was assigned\n%s", out)
	}
	if value("a") != "1" || value("b") != "1" {
		t.Errorf("a dry run changed the cluster: a=%s b=%s", value("a"), value("b"))
	}

	e.must(t, "app", "sync", app, "--resource", ":ConfigMap:"+ns+"/a")
	waitValues("selective sync of a", map[string]string{"a": "2"})
	eventually(t, time.Minute, "the selective sync finished", func() (bool, string) {
		v := e.appGet(t, app)
		tv, _ := v.target(c.Name)
		return tv.phase() == "Succeeded", v.String()
	})
	if value("b") != "1" || value("gone") != "1" {
		t.Errorf("a selective sync of a changed others: b=%s gone=%s", value("b"), value("gone"))
	}
	if tv, _ := e.appGet(t, app).target(c.Name); tv.Sync != "OutOfSync" {
		t.Errorf("after a selective sync, the target is %s, want OutOfSync (b is not synced)", tv.Sync)
	}

	e.must(t, "app", "sync", app, "--prune")
	waitValues("sync with --prune", map[string]string{"b": "2", "gone": "<absent>", "confirm": "1"})
	e.must(t, "app", "sync", app, "--prune", "--confirm-prune")
	waitValues("sync with --confirm-prune", map[string]string{"confirm": "<absent>"})

	e.must(t, "app", "sync", app, "--revision", first)
	waitValues("sync at the first revision", map[string]string{"a": "1", "b": "1"})

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--sync-option", "Bogus=true"}, "options"},
		{[]string{"--resource", ":ConfigMap:" + ns + "/nope"}, ":ConfigMap:" + ns + "/nope"},
	} {
		if r := e.flotilla(t, append([]string{"app", "sync", app}, bad.args...)...); r.code != 1 || !strings.Contains(r.stderr, bad.want) {
			t.Errorf("app sync %v: want exit 1 naming %q\n%s", bad.args, bad.want, r)
		}
	}
	auto := uniq("overrides-auto")
	e.createApp(t, auto, "--repo", repo.url, "--path", "app", "--dest-cluster", c.Name, "--dest-namespace", e.namespace(t, "overrides-auto"), "--auto-sync")
	if r := e.flotilla(t, "app", "sync", auto, "--revision", first); r.code != 1 || !strings.Contains(r.stderr, "automated sync is enabled") {
		t.Errorf("sync --revision with automated sync: want exit 1 saying automated sync is enabled\n%s", r)
	}
}
