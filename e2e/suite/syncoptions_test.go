package suite

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// waitPhase waits until every cluster's target of app ran a sync that
// ended in phase (Succeeded or Failed) and returns the application.
func (e *env) waitPhase(t *testing.T, app, phase string) appView {
	t.Helper()
	var last appView
	eventually(t, time.Minute, app+": sync "+phase+" on every cluster", func() (bool, string) {
		last = e.appGet(t, app)
		for _, tv := range last.Targets {
			if tv.phase() != phase {
				return false, last.String()
			}
		}
		return len(last.Targets) == len(e.clusters), last.String()
	})
	return last
}

// A pruned Deployment is deleted with foreground propagation, as Argo CD's
// default: it stays, terminating with the foregroundDeletion finalizer,
// until its ReplicaSets are gone.
func TestPruneForegroundByDefault(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "fg")
	app := uniq("fg")
	r, _ := e.newRepo(t, map[string]string{
		"app/stays.yaml": configMapYAML("stays", map[string]string{"k": "v"}, nil),
		"app/web.yaml":   deploymentYAML("web", 2, nil),
	})
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync", "--prune")
	e.appWait(t, app)
	watches := map[string]watch.Interface{}
	for _, c := range e.clusters {
		d, err := c.kube.AppsV1().Deployments(ns).Get(ctxT(t), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if rs := replicaSets(t, c, ns); len(rs) == 0 {
			t.Fatalf("%s: Deployment web has no ReplicaSet to delete first", c.Name)
		}
		w, err := c.kube.AppsV1().Deployments(ns).Watch(ctxT(t), metav1.ListOptions{FieldSelector: "metadata.name=web", ResourceVersion: d.ResourceVersion})
		if err != nil {
			t.Fatalf("%s: watch: %v", c.Name, err)
		}
		defer w.Stop()
		watches[c.Name] = w
	}
	r.commit(t, "remove web", map[string]string{"app/web.yaml": ""})
	r.webhook(t)
	for _, c := range e.clusters {
		foreground := waitDeleted(t, watches[c.Name], c.Name)
		if !foreground {
			t.Errorf("%s: Deployment web was deleted without passing through foregroundDeletion", c.Name)
		}
		if rs := replicaSets(t, c, ns); len(rs) > 0 {
			t.Errorf("%s: ReplicaSets %v outlived their Deployment", c.Name, rs)
		}
	}
}

// waitDeleted reads the watch of one Deployment until it is deleted and
// reports whether it was seen terminating with foregroundDeletion first.
func waitDeleted(t *testing.T, w watch.Interface, cluster string) bool {
	t.Helper()
	deadline := time.After(time.Minute)
	foreground := false
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("%s: the watch of Deployment web ended before its deletion", cluster)
			}
			d, _ := ev.Object.(*appsv1.Deployment)
			switch {
			case d == nil:
				t.Fatalf("%s: watch: %v", cluster, ev.Object)
			case ev.Type == watch.Deleted:
				return foreground
			case d.DeletionTimestamp != nil && slices.Contains(d.Finalizers, metav1.FinalizerDeleteDependents):
				foreground = true
			}
		case <-deadline:
			t.Fatalf("%s: Deployment web not deleted within a minute of the commit removing it", cluster)
		}
	}
}

func replicaSets(t *testing.T, c *cluster, ns string) []string {
	t.Helper()
	l, err := c.kube.AppsV1().ReplicaSets(ns).List(ctxT(t), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	var names []string
	for _, rs := range l.Items {
		names = append(names, rs.Name)
	}
	return names
}

// Writes are validated strictly (kubectl's --validate=strict, Argo CD's
// Validate=true): a replaced object with a field its kind does not have
// fails the sync, naming the field, where the API server would have
// dropped it with a warning; Validate=false on the object lets it through,
// the field dropped.
func TestValidateStrictUnlessObjectSaysFalse(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "val")
	bogus := func(name, opts string) string {
		return configMapYAML(name, map[string]string{"k": "v"}, map[string]string{annSyncOptions: opts}) + "bogusField: 1\n"
	}
	strict, loose := uniq("strict"), uniq("loose")
	r, _ := e.newRepo(t, map[string]string{"strict/cm.yaml": bogus("strict", "Replace=true"), "loose/cm.yaml": bogus("loose", "Replace=true,Validate=false")})
	for _, a := range []string{strict, loose} {
		path := strings.SplitN(a, "-", 2)[0]
		e.createApp(t, a, "--repo", r.url, "--path", path, "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	}
	v := e.waitPhase(t, strict, "Failed")
	for _, tv := range v.Targets {
		if !strings.Contains(tv.message(), `unknown field "bogusField"`) {
			t.Errorf("%s: sync message %q does not name the unknown field", tv.Cluster, tv.message())
		}
	}
	e.waitPhase(t, loose, "Succeeded")
	for _, c := range e.clusters {
		if _, ok := c.configMap(t, ns, "strict"); ok {
			t.Errorf("%s: ConfigMap strict was created", c.Name)
		}
		if cm, ok := c.configMap(t, ns, "loose"); !ok || cm.Data["k"] != "v" {
			t.Errorf("%s: ConfigMap loose (Validate=false): %v", c.Name, cm)
		}
	}
}

// Fields kubectl's client-side apply owns are migrated to the spoke's
// field manager before it applies (Argo CD's ClientSideApplyMigration,
// on by default): a key Git no longer has is removed. An object saying
// ClientSideApplyMigration=false keeps it, owned by kubectl.
func TestClientSideApplyMigration(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "csa")
	for _, c := range e.clusters {
		for _, name := range []string{"migrated", "kept"} {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: map[string]string{"a": "1", "old": "2"}}
			if _, err := c.kube.CoreV1().ConfigMaps(ns).Create(ctxT(t), cm, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"}); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
		}
	}
	app := uniq("csa")
	r, _ := e.newRepo(t, map[string]string{
		"app/migrated.yaml": configMapYAML("migrated", map[string]string{"a": "1"}, nil),
		"app/kept.yaml":     configMapYAML("kept", map[string]string{"a": "1"}, map[string]string{annSyncOptions: "ClientSideApplyMigration=false"}),
	})
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.waitPhase(t, app, "Succeeded")
	for _, c := range e.clusters {
		m, _ := c.configMap(t, ns, "migrated")
		k, _ := c.configMap(t, ns, "kept")
		if m == nil || k == nil {
			t.Fatalf("%s: ConfigMaps missing: %v %v", c.Name, m, k)
		}
		if _, ok := m.Data["old"]; ok || managedBy(m, "kubectl-client-side-apply") {
			t.Errorf("%s: migrated: data %v, managers %s; want old removed and kubectl's fields taken over", c.Name, m.Data, managers(m))
		}
		if k.Data["old"] != "2" || !managedBy(k, "kubectl-client-side-apply") {
			t.Errorf("%s: kept (ClientSideApplyMigration=false): data %v, managers %s; want old kept, owned by kubectl", c.Name, k.Data, managers(k))
		}
	}
}

func managedBy(cm *corev1.ConfigMap, manager string) bool {
	return strings.Contains(managers(cm), manager+"/")
}

func managers(cm *corev1.ConfigMap) string {
	var out []string
	for _, f := range cm.ManagedFields {
		out = append(out, fmt.Sprintf("%s/%s", f.Manager, f.Operation))
	}
	return strings.Join(out, ",")
}
