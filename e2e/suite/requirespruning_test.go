package suite

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prunableView is a target of `app get -o json` with what this file needs
// of its resources: whether each requires pruning.
type prunableView struct {
	Cluster   string `json:"cluster"`
	Revision  string `json:"revision"`
	Sync      string `json:"sync"`
	Health    string `json:"health"`
	Operation *struct {
		Phase string `json:"phase"`
	} `json:"operation"`
	Resources []struct {
		Kind            string `json:"kind"`
		Name            string `json:"name"`
		Sync            string `json:"sync"`
		Health          string `json:"health"`
		Message         string `json:"message"`
		RequiresPruning bool   `json:"requiresPruning"`
	} `json:"resources"`
}

// prunable returns app's target on cluster and the JSON it came from.
func (e *env) prunable(t *testing.T, app, cluster string) (prunableView, string) {
	t.Helper()
	out := e.must(t, "app", "get", app, "-o", "json")
	var v struct {
		Targets []prunableView `json:"targets"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("app get %s -o json: %v\n%s", app, err, out)
	}
	for _, tv := range v.Targets {
		if tv.Cluster == cluster {
			return tv, out
		}
	}
	return prunableView{}, out
}

// state sums a target up: sync, then each ConfigMap as name=sync, with
// "!prune(message)" when it requires pruning, sorted as reported.
func (tv prunableView) state() string {
	var b strings.Builder
	b.WriteString(tv.Sync)
	for _, r := range tv.Resources {
		fmt.Fprintf(&b, " %s=%s", r.Name, r.Sync)
		if r.RequiresPruning {
			fmt.Fprintf(&b, "!prune(%s)", r.Message)
		}
	}
	return b.String()
}

// waitPrunable waits until app's target on cluster finished a sync of
// revision ("" any) and is sync, with exactly the resources requiring
// pruning of want (name → the reason its message names).
func (e *env) waitPrunable(t *testing.T, app, cluster, revision, sync string, want map[string]string) prunableView {
	t.Helper()
	var last prunableView
	eventually(t, time.Minute, fmt.Sprintf("%s %s with %v requiring pruning", app, sync, want), func() (bool, string) {
		tv, out := e.prunable(t, app, cluster)
		last = tv
		if tv.Operation == nil || tv.Operation.Phase != "Succeeded" || (revision != "" && tv.Revision != revision) || tv.Sync != sync {
			return false, out
		}
		found := 0
		for _, r := range tv.Resources {
			reason, wanted := want[r.Name]
			switch {
			case r.RequiresPruning != wanted:
				return false, tv.state()
			case wanted && (r.Sync != "OutOfSync" || r.Health != "Healthy" || !strings.Contains(r.Message, "requires pruning ("+reason)):
				return false, tv.state()
			case wanted:
				found++
			}
		}
		return found == len(want), tv.state()
	})
	return last
}

// Objects removed from Git but kept (Prune=false, Prune=confirm awaiting
// confirmation) leave the target OutOfSync with each shown requiring
// pruning, as Argo CD does; app wait lets that pass and says so;
// confirming the prune removes one, deleting the other by hand makes the
// target Synced again.
func TestKeptObjectsRequirePruning(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	ns := e.namespace(t, "reqprune")
	data := map[string]string{"k": "v"}
	r, _ := e.newRepo(t, map[string]string{
		"app/stays.yaml":   configMapYAML("stays", data, nil),
		"app/gone.yaml":    configMapYAML("gone", data, nil),
		"app/kept.yaml":    configMapYAML("kept", data, map[string]string{annSyncOptions: "Prune=false"}),
		"app/confirm.yaml": configMapYAML("confirm", data, map[string]string{annSyncOptions: "Prune=confirm"}),
	})
	app := uniq("reqprune")
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-cluster", c.Name, "--dest-namespace", ns, "--prune")
	e.must(t, "app", "sync", app)
	e.waitPrunable(t, app, c.Name, "", "Synced", nil)

	sha := r.commit(t, "remove gone, kept and confirm", map[string]string{"app/gone.yaml": "", "app/kept.yaml": "", "app/confirm.yaml": ""})
	e.must(t, "app", "sync", app)
	tv := e.waitPrunable(t, app, c.Name, sha, "OutOfSync", map[string]string{"kept": "Prune=false", "confirm": "Prune=confirm"})
	// The drift report may show the kept objects before the run's prune
	// of gone is done: wait for the prune itself.
	eventually(t, 30*time.Second, "gone pruned", func() (bool, string) {
		_, ok := c.configMap(t, ns, "gone")
		return !ok, tv.state()
	})
	if tv.Health != "Healthy" {
		t.Errorf("target health %s, want Healthy", tv.Health)
	}
	res := e.flotilla(t, "app", "wait", app, "--timeout", "1m")
	if res.code != 0 || !strings.Contains(res.stderr, "requiring pruning") || !strings.Contains(res.stderr, "ConfigMap kept") {
		t.Errorf("app wait: want exit 0, saying it let kept and confirm pass\n%s", res)
	}

	e.must(t, "app", "sync", app, "--prune", "--confirm-prune")
	eventually(t, time.Minute, "confirm pruned", func() (bool, string) {
		_, ok := c.configMap(t, ns, "confirm")
		return !ok, "confirm still exists"
	})
	e.waitPrunable(t, app, c.Name, sha, "OutOfSync", map[string]string{"kept": "Prune=false"})

	if err := c.kube.CoreV1().ConfigMaps(ns).Delete(ctxT(t), "kept", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitPrunable(t, app, c.Name, sha, "Synced", nil)
}

// With pruning off, an object removed from Git stays, requiring pruning
// ("pruning disabled"); a sync with --prune removes it.
func TestPruningDisabledRequiresPruning(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	ns := e.namespace(t, "noprune")
	data := map[string]string{"k": "v"}
	r, _ := e.newRepo(t, map[string]string{
		"app/stays.yaml": configMapYAML("stays", data, nil),
		"app/old.yaml":   configMapYAML("old", data, nil),
	})
	app := uniq("noprune")
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-cluster", c.Name, "--dest-namespace", ns, "--auto-sync")
	e.waitPrunable(t, app, c.Name, "", "Synced", nil)

	sha := r.commit(t, "remove old", map[string]string{"app/old.yaml": ""})
	r.webhook(t)
	e.waitPrunable(t, app, c.Name, sha, "OutOfSync", map[string]string{"old": "pruning disabled"})
	if _, ok := c.configMap(t, ns, "old"); !ok {
		t.Fatal("old was pruned with pruning off")
	}

	e.must(t, "app", "sync", app, "--prune")
	e.waitPrunable(t, app, c.Name, sha, "Synced", nil)
	if _, ok := c.configMap(t, ns, "old"); ok {
		t.Error("old survived a sync with --prune")
	}
}
