package suite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// `app terminate-op` stops a sync waiting on a wave that never becomes
// healthy: the operation fails "terminated by ...", the next wave is
// never applied, and the retry policy does not run it again.
func TestTerminateOperation(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "term")
	app, control := uniq("term"), uniq("termctl")
	files := map[string]string{
		"app/stuck.yaml": stuckDeploymentYAML("stuck", wave(0)),
		"app/next.yaml":  configMapYAML("next", map[string]string{"k": "v"}, wave(1)),
	}
	r, _ := e.newRepo(t, files)
	retry := []string{"--retry-limit", "2", "--retry-backoff-duration", "1s"}
	e.createApp(t, app, append([]string{"--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync"}, retry...)...)
	for _, c := range e.clusters {
		eventually(t, time.Minute, c.Name+": Deployment stuck applied", func() (bool, string) {
			_, err := c.kube.AppsV1().Deployments(ns).Get(ctxT(t), "stuck", metav1.GetOptions{})
			return err == nil, "not yet"
		})
	}
	eventually(t, time.Minute, "every target's operation Running", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.phase() != "Running" {
				return false, v.String()
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
	out := e.must(t, "app", "terminate-op", app)
	for _, c := range e.clusters {
		if !strings.Contains(out, "operation on "+c.Name) || !strings.Contains(out, "terminating") {
			t.Errorf("terminate-op output lacks %s:\n%s", c.Name, out)
		}
	}
	w := e.flotilla(t, "app", "wait", app, "--operation", "--timeout", "1m")
	if w.code != 0 || !strings.Contains(w.stderr, "terminated by") {
		t.Errorf("app wait --operation: want exit 0 naming the termination\n%s", w)
	}
	v := e.waitPhase(t, app, "Failed")
	for _, tv := range v.Targets {
		if !strings.HasPrefix(tv.message(), "terminated by ") {
			t.Errorf("%s: operation message %q, want terminated by ...", tv.Cluster, tv.message())
		}
	}
	// Nothing runs any more: a named target is refused, naming it.
	c0 := e.clusters[0].Name
	if r := e.flotilla(t, "app", "terminate-op", app, "--cluster", c0); r.code != 1 || !strings.Contains(r.stderr, "FailedPrecondition") ||
		!strings.Contains(r.stderr, "on cluster "+c0+": no operation is running") {
		t.Errorf("terminate-op of a finished target: want FailedPrecondition naming %s\n%s", c0, r)
	}

	// No retry: a control application failing later with the same retry
	// policy is retried; by then a retry of the terminated one (due
	// earlier) would have run.
	ns2 := e.namespace(t, "termctl")
	e.createApp(t, control, append([]string{"--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns2,
		"--auto-sync", "--wave-timeout", "1s"}, retry...)...)
	eventually(t, 2*time.Minute, control+" retried on every cluster", func() (bool, string) {
		h := e.history(t, control)
		for _, c := range e.clusters {
			if len(historyOf(h, c.Name)) < 2 {
				return false, fmt.Sprintf("history %+v", h)
			}
		}
		return true, ""
	})
	h := e.history(t, app)
	for _, c := range e.clusters {
		hc := historyOf(h, c.Name)
		if len(hc) != 1 || hc[0].Result != resultFailed || !strings.HasPrefix(hc[0].Message, "terminated by ") {
			t.Errorf("%s: history %+v, want one Failed entry, terminated by ..., and no retry", c.Name, hc)
		}
		if _, ok := c.configMap(t, ns, "next"); ok {
			t.Errorf("%s: ConfigMap next (wave 1) applied although the sync was terminated in wave 0", c.Name)
		}
	}
}
