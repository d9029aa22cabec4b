package suite

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A kustomization building on a remote base of another Git repository
// (Kustomize's URL form, ?ref=): the hub fetches it through its own Git
// cache and the render reads it from there; a new commit on the base's
// branch rolls out; under a project that does not allow the base's
// repository the application shows the refusal, naming the base.
func TestKustomizeRemoteBaseOnClusters(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "kzremote")
	base, _ := e.newRepo(t, map[string]string{
		"web/kustomization.yaml": "resources: [cm.yaml]\n",
		"web/cm.yaml":            configMapYAML("web", map[string]string{"v": "1"}, nil),
	})
	ref := base.url + "//web?ref=main"
	app, _ := e.newRepo(t, map[string]string{
		"prod/kustomization.yaml": "namePrefix: prod-\nresources:\n- " + ref + "\n",
	})
	name := uniq("kzremote")
	e.createApp(t, name, "--repo", app.url, "--path", "prod", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, name)
	check := func(want string) {
		t.Helper()
		for _, c := range e.clusters {
			if cm, ok := c.configMap(t, ns, "prod-web"); !ok || cm.Data["v"] != want {
				t.Errorf("%s: ConfigMap prod-web %v, want v=%s", c.Name, cm, want)
			}
		}
	}
	check("1")
	base.commit(t, "v2", map[string]string{"web/cm.yaml": configMapYAML("web", map[string]string{"v": "2"}, nil)})
	if got := base.webhook(t); len(got) != 1 || got[0] != base.url {
		t.Errorf("a push to the remote base's repository refreshed %v, want %s", got, base.url)
	}
	for _, c := range e.clusters {
		eventually(t, time.Minute, c.Name+": the base's new commit", func() (bool, string) {
			cm, ok := c.configMap(t, ns, "prod-web")
			return ok && cm.Data["v"] == "2", fmt.Sprint(cm)
		})
	}
	e.appWait(t, name)

	proj := uniq("kzremote")
	e.must(t, "project", "create", proj, "--repo", app.url, "--dest", "*:"+ns)
	t.Cleanup(func() { e.flotilla(t, "project", "delete", proj) })
	denied := uniq("kzremote-denied")
	e.createApp(t, denied, "--project", proj, "--repo", app.url, "--path", "prod", "--dest-cluster", e.clusters[0].Name, "--dest-namespace", ns)
	got := e.appGet(t, denied, "--refresh")
	if len(got.Targets) == 0 || !strings.Contains(got.Targets[0].Error, `prod/kustomization.yaml: remote base "`+ref+`"`) || !strings.Contains(got.Targets[0].Error, "is not in sourceRepos") {
		t.Errorf("remote base of a repository the project does not allow: %+v", got.Targets)
	}
}
