package suite

import (
	"strings"
	"testing"
	"time"
)

// A project's deny window holds automated syncs (the target says so) and
// manual ones until the window lets them through; once the window is
// gone, the held plan is assigned. Windows are edited with the CLI, and a
// window that does not parse is refused naming its field.
func TestSyncWindowHoldsSyncs(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "window")
	proj := uniq("windows")
	e.must(t, "project", "create", proj, "--repo", "*", "--dest", "*:*")
	t.Cleanup(func() { e.flotilla(t, "project", "delete", proj) })
	if r := e.flotilla(t, "project", "windows", "add", proj, "--kind", "deny", "--schedule", "at noon", "--duration", "1h", "--applications", "*"); r.code != 1 || !strings.Contains(r.stderr, "syncWindows[0]: schedule") {
		t.Errorf("a window with a bad schedule: want exit 1 naming syncWindows[0]: schedule\n%s", r)
	}
	// Active now and for the next hour, whatever the time.
	e.must(t, "project", "windows", "add", proj, "--kind", "deny", "--schedule", "* * * * *", "--duration", "1h", "--applications", "*")
	if out := e.must(t, "project", "windows", "list", proj); !strings.Contains(out, "deny") || !strings.Contains(out, "* * * * *") {
		t.Errorf("windows list: want the deny window\n%s", out)
	}

	repo, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("held", map[string]string{"v": "1"}, nil)})
	app := uniq("window")
	e.createApp(t, app, "--project", proj, "--repo", repo.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	for _, c := range e.clusters {
		eventually(t, 30*time.Second, c.Name+" waits for the sync window", func() (bool, string) {
			v := e.appGet(t, app)
			tv, ok := v.target(c.Name)
			return ok && strings.Contains(tv.Waiting, "sync window") && strings.Contains(tv.Waiting, "deny"), v.String()
		})
		if _, ok := c.configMap(t, ns, "held"); ok {
			t.Errorf("%s: ConfigMap applied during a deny window", c.Name)
		}
	}
	if r := e.flotilla(t, "app", "sync", app); r.code != 1 || !strings.Contains(r.stderr, "sync window") {
		t.Errorf("manual sync in a deny window without manualSync: want exit 1 naming the window\n%s", r)
	}

	// manualSync lets a manual sync through; automated ones still wait.
	e.must(t, "project", "windows", "enable-manual-sync", proj, "0")
	c0 := e.clusters[0]
	e.must(t, "app", "sync", app, "--cluster", c0.Name)
	eventually(t, time.Minute, "manual sync applied on "+c0.Name, func() (bool, string) {
		cm, ok := c0.configMap(t, ns, "held")
		return ok && cm.Data["v"] == "1", "ConfigMap held not applied yet"
	})
	for _, c := range e.clusters[1:] {
		if _, ok := c.configMap(t, ns, "held"); ok {
			t.Errorf("%s: ConfigMap applied although only %s was synced by hand", c.Name, c0.Name)
		}
	}

	// The window removed, every held plan goes.
	e.must(t, "project", "windows", "delete", proj, "0")
	for _, c := range e.clusters {
		eventually(t, time.Minute, "held plan assigned on "+c.Name+" once the window is gone", func() (bool, string) {
			_, ok := c.configMap(t, ns, "held")
			return ok, e.appGet(t, app).String()
		})
	}
	eventually(t, 30*time.Second, "no target waits", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.Waiting != "" {
				return false, v.String()
			}
		}
		return true, ""
	})
}
