package suite

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scenario 10a: a wrong token is rejected: the CLI exits 1 saying
// Unauthenticated, and a spoke with a wrong token never gets a plan.
func TestWrongTokenRejected(t *testing.T) {
	e := suite(t)
	r := e.run(context.Background(), "flta_not-a-token", "app", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "Unauthenticated") {
		t.Errorf("CLI with a wrong token: want exit 1 and Unauthenticated\n%s", r)
	}
	r = e.run(context.Background(), "", "cluster", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "token") {
		t.Errorf("CLI with no token: want exit 1 asking for a token\n%s", r)
	}

	// A registered cluster whose spoke presents a wrong token: it runs
	// against c2, where the application's ConfigMap must never appear.
	name, spokeToken := e.registerCluster(t)
	if r := e.run(context.Background(), spokeToken, "app", "list"); r.code != 1 || !strings.Contains(r.stderr, "PermissionDenied") {
		t.Errorf("CLI with a spoke's token: want exit 1 and PermissionDenied\n%s", r)
	}
	ns := e.namespace(t, "badtoken")
	repo, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("never", map[string]string{"k": "v"}, nil)})
	app := uniq("badtoken")
	e.createApp(t, app, "--repo", repo.url, "--path", "app", "--dest-cluster", name, "--dest-namespace", ns, "--auto-sync")
	eventually(t, 30*time.Second, "plan assigned to "+name, func() (bool, string) {
		v := e.appGet(t, app)
		tv, ok := v.target(name)
		return ok && tv.phase() == "Running", v.String()
	})
	c2 := e.clusters[1]
	spoke := e.badSpoke(t, name, spokeToken, c2)
	if _, err := c2.kube.CoreV1().ConfigMaps(ns).Get(ctxT(t), "never", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a spoke with a wrong token applied the plan (err %v)", err)
	}
	var cl clusterView
	if err := json.Unmarshal([]byte(e.must(t, "cluster", "get", name, "-o", "json")), &cl); err != nil {
		t.Fatal(err)
	}
	if cl.State == "Connected" || cl.LastSeen != "" {
		t.Errorf("cluster %s with a wrong spoke token: %+v, want never connected nor seen", name, cl)
	}
	v := e.appGet(t, app)
	if tv, _ := v.target(name); tv.phase() != "Running" || tv.Sync == "Synced" {
		t.Errorf("target on %s: %+v, want its plan still waiting for the spoke", name, tv)
	}
	if spoke.exited() {
		t.Errorf("the spoke gave up after a refusal (%v); it should keep retrying with backoff", spoke.err)
	}
}

// registerCluster adds a cluster (no labels: no application selects it by
// accident) and removes it when the test ends.
func (e *env) registerCluster(t *testing.T) (name, token string) {
	t.Helper()
	name = uniq("bad")
	token, err := e.addCluster(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r := e.flotilla(t, "cluster", "remove", name); r.code != 0 {
			t.Errorf("%s", r)
		}
	})
	return name, token
}

// badSpoke runs a spoke for cluster name with a corrupted token against c
// and returns once the hub refused it twice (it retried).
func (e *env) badSpoke(t *testing.T, name, token string, c *cluster) *proc {
	t.Helper()
	spoke, err := e.startSpoke(name, c.Kubeconfig, token[:len(token)-4]+"xxxx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := spoke.stop(10 * time.Second); err != nil {
			t.Error(err)
		}
	})
	// The spoke's log is the only witness of its attempts.
	eventually(t, 30*time.Second, "spoke refused twice", func() (bool, string) {
		return len(refusals(t, spoke)) >= 2, spoke.logTail(5)
	})
	return spoke
}

// refusals returns the spoke's log lines about a stream that ended.
func refusals(t *testing.T, p *proc) []string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "hub stream ended") {
			out = append(out, l)
		}
	}
	return out
}

// The spoke says why the hub refused it: an operator with a wrong token
// file must read "Unauthenticated: invalid token", not "EOF".
func TestSpokeLogsWhyHubRefusedIt(t *testing.T) {
	e := suite(t)
	name, token := e.registerCluster(t)
	spoke := e.badSpoke(t, name, token, e.clusters[1])
	for _, l := range refusals(t, spoke)[:2] {
		if !strings.Contains(l, "Unauthenticated") {
			t.Errorf("spoke log hides why the hub refused it (want Unauthenticated / invalid token):\n%s", l)
		}
	}
}

// Scenario 10b: a Project that forbids a namespace or a kind blocks the
// plan: the target's error names the rule, `app sync` fails with it and
// nothing is applied.
func TestProjectForbidsNamespaceAndKind(t *testing.T) {
	e := suite(t)
	allowed := e.namespace(t, "proj-ok")
	other := e.namespace(t, "proj-no")
	proj := uniq("team")
	e.must(t, "project", "create", proj, "--repo", "*", "--dest", "*:"+allowed)
	t.Cleanup(func() { e.flotilla(t, "project", "delete", proj) })

	cm := func(name, ns string) string {
		return toYAML(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name, "namespace": ns}})
	}
	role := uniq("e2e-reader")
	r, _ := e.newRepo(t, map[string]string{
		"ns/cms.yaml": docs(cm("allowed", allowed), cm("elsewhere", other)),
		"kind/all.yaml": docs(cm("fine", allowed), toYAML(map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
			"metadata": map[string]any{"name": role}, "rules": []any{}})),
	})
	byNS, byKind := uniq("proj-ns"), uniq("proj-kind")
	for app, path := range map[string]string{byNS: "ns", byKind: "kind"} {
		e.createApp(t, app, "--project", proj, "--repo", r.url, "--path", path, "--dest-selector", clusterLabel,
			"--dest-namespace", allowed, "--auto-sync")
	}
	rules := map[string][]string{
		byNS:   {"project " + proj, "destination", other, "not one of the project's destinations"},
		byKind: {"project " + proj, "ClusterRole", "clusterResourceWhitelist"},
	}
	for app, want := range rules {
		e.waitBlocked(t, app, want)
		s := e.flotilla(t, "app", "sync", app)
		if s.code != 1 || !strings.Contains(s.stderr, want[len(want)-1]) {
			t.Errorf("app sync %s: want exit 1 naming the rule %q\n%s", app, want[len(want)-1], s)
		}
	}
	for _, c := range e.clusters {
		for _, n := range []string{"allowed", "fine"} {
			if _, ok := c.configMap(t, allowed, n); ok {
				t.Errorf("%s: ConfigMap %s applied although its plan is blocked", c.Name, n)
			}
		}
		if _, ok := c.configMap(t, other, "elsewhere"); ok {
			t.Errorf("%s: ConfigMap elsewhere applied in a forbidden namespace", c.Name)
		}
		if _, err := c.kube.RbacV1().ClusterRoles().Get(ctxT(t), role, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: ClusterRole %s applied although not allowed (err %v)", c.Name, role, err)
		}
	}

	// Allowing the kind unblocks that application: the rule was the cause.
	e.must(t, "project", "create", proj, "--upsert", "--repo", "*", "--dest", "*:"+allowed,
		"--allow-cluster-resource", "rbac.authorization.k8s.io/ClusterRole")
	e.appWait(t, byKind)
	for _, c := range e.clusters {
		if _, err := c.kube.RbacV1().ClusterRoles().Get(ctxT(t), role, metav1.GetOptions{}); err != nil {
			t.Errorf("%s: ClusterRole %s once allowed: %v", c.Name, role, err)
		}
		if _, ok := c.configMap(t, allowed, "fine"); !ok {
			t.Errorf("%s: ConfigMap fine not applied once the plan is allowed", c.Name)
		}
	}
}

// Hooks are objects too: a PreSync ClusterRoleBinding to cluster-admin and
// a Sync hook Job in kube-system, in an application of a project limited
// to one namespace, are refused naming each hook, and neither reaches a
// cluster.
func TestProjectRulesHoldForHooks(t *testing.T) {
	e := suite(t)
	allowed := e.namespace(t, "proj-hooks")
	proj := uniq("team")
	e.must(t, "project", "create", proj, "--repo", "*", "--dest", "*:"+allowed)
	t.Cleanup(func() { e.flotilla(t, "project", "delete", proj) })
	crb := uniq("e2e-pwn")
	job := uniq("e2e-escape")
	r, _ := e.newRepo(t, map[string]string{"hooks/all.yaml": docs(
		toYAML(map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
			"metadata": map[string]any{"name": crb, "annotations": map[string]any{"argocd.argoproj.io/hook": "PreSync"}},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "default", "namespace": allowed}}}),
		toYAML(map[string]any{"apiVersion": "batch/v1", "kind": "Job",
			"metadata": map[string]any{"name": job, "namespace": "kube-system", "annotations": map[string]any{"argocd.argoproj.io/hook": "Sync"}},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"restartPolicy": "Never",
				"containers": []any{map[string]any{"name": "c", "image": "example.invalid/x:1"}}}}}}),
		toYAML(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "fine"}}),
	)})
	app := uniq("proj-hooks")
	e.createApp(t, app, "--project", proj, "--repo", r.url, "--path", "hooks", "--dest-selector", clusterLabel,
		"--dest-namespace", allowed, "--auto-sync")
	want := []string{"PreSync hook ClusterRoleBinding " + crb, "clusterResourceWhitelist", "Sync hook Job kube-system/" + job, `namespace "kube-system"`}
	e.waitBlocked(t, app, want)
	for _, c := range e.clusters {
		if _, err := c.kube.RbacV1().ClusterRoleBindings().Get(ctxT(t), crb, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: ClusterRoleBinding %s reached the cluster (err %v)", c.Name, crb, err)
		}
		if _, err := c.kube.BatchV1().Jobs("kube-system").Get(ctxT(t), job, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: Job kube-system/%s reached the cluster (err %v)", c.Name, job, err)
		}
		if _, ok := c.configMap(t, allowed, "fine"); ok {
			t.Errorf("%s: ConfigMap fine applied although its plan is blocked", c.Name)
		}
	}
}

// waitBlocked waits until every target of app has an error saying each
// of want (a project refused its plan).
func (e *env) waitBlocked(t *testing.T, app string, want []string) {
	t.Helper()
	eventually(t, 30*time.Second, app+": every target blocked with an error naming "+strings.Join(want, ", "), func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			for _, w := range want {
				if !strings.Contains(tv.Error, w) {
					return false, v.String()
				}
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
}
