package suite

import (
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scenario 7: a failing PreSync hook fails the sync: the SyncFail hook
// runs, nothing of the Sync phase is applied, and the status names the
// hook.
func TestFailingPreSyncHook(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "failhook")
	app := uniq("failhook")
	r, _ := e.newRepo(t, map[string]string{
		"app/hooks.yaml": docs(
			jobYAML("migrate", hook("PreSync"), jobOpts{fail: true}),
			jobYAML("on-fail", hook("SyncFail"), jobOpts{}),
		),
		"app/objects.yaml": docs(configMapYAML("settings", map[string]string{"k": "v"}, nil), deploymentYAML("web", 1, nil)),
	})
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")

	w := e.flotilla(t, "app", "wait", app, "--timeout", "2m")
	if w.code != 1 || !strings.Contains(w.stderr, "migrate") {
		t.Errorf("app wait: want exit 1 with a reason naming the hook migrate\n%s", w)
	}
	// app wait stops at the first failed target; wait for the other.
	var v appView
	eventually(t, time.Minute, "both syncs finished", func() (bool, string) {
		v = e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.phase() == "" || tv.phase() == "Running" {
				return false, v.String()
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
	for _, c := range e.clusters {
		tv, ok := v.target(c.Name)
		if !ok {
			t.Fatalf("no target on %s\n%s", c.Name, v)
		}
		if tv.phase() != "Failed" || !strings.Contains(tv.message(), "migrate") {
			t.Errorf("%s: operation %q %q, want Failed naming the hook migrate", c.Name, tv.phase(), tv.message())
		}
		jobs := c.kube.BatchV1().Jobs(ns)
		onFail, err := jobs.Get(ctxT(t), "on-fail", metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s: SyncFail hook on-fail did not run: %v", c.Name, err)
		} else if onFail.Status.Succeeded != 1 {
			t.Errorf("%s: SyncFail hook on-fail not finished when the operation failed: %+v", c.Name, onFail.Status)
		}
		if m, err := jobs.Get(ctxT(t), "migrate", metav1.GetOptions{}); err != nil || m.Status.Failed != 1 {
			t.Errorf("%s: PreSync hook migrate: %v (err %v), want Failed", c.Name, m, err)
		}
		if _, err := c.kube.CoreV1().ConfigMaps(ns).Get(ctxT(t), "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: ConfigMap settings applied although PreSync failed (err %v)", c.Name, err)
		}
		if _, err := c.kube.AppsV1().Deployments(ns).Get(ctxT(t), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: Deployment web applied although PreSync failed (err %v)", c.Name, err)
		}
	}
	for _, c := range e.clusters {
		h := historyOf(e.history(t, app), c.Name)
		if len(h) != 1 || h[0].Result != resultFailed || !strings.Contains(h[0].Message, "migrate") {
			t.Errorf("%s: history %+v, want one Failed entry naming migrate", c.Name, h)
		}
	}

	// Fixing the hook in Git recovers: the failed Job is replaced and the
	// Sync phase runs.
	sha := r.commit(t, "fix migrate", map[string]string{"app/hooks.yaml": docs(
		jobYAML("migrate", hook("PreSync"), jobOpts{}),
		jobYAML("on-fail", hook("SyncFail"), jobOpts{}),
	)})
	r.webhook(t)
	e.waitRevision(t, app, sha)
	for _, c := range e.clusters {
		if _, ok := c.configMap(t, ns, "settings"); !ok {
			t.Errorf("%s: ConfigMap settings not applied after the hook was fixed", c.Name)
		}
	}
}
