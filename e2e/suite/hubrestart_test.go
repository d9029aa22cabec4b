package suite

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Scenario 9: the hub is killed (SIGKILL) in the middle of a sync and
// restarted: the spokes finish the sync on their own, reconnect, and the
// hub ends up with the full status and history of that sync.
func TestHubKilledDuringSync(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "hubkill")
	app := uniq("hubkill")
	// The PreSync Job gate is created suspended: the sync waits on it
	// until the test resumes it, so the hub dies mid-sync for sure.
	r, sha := e.newRepo(t, map[string]string{
		"app/hooks.yaml":   docs(jobYAML("gate", hook("PreSync"), jobOpts{suspend: true}), jobYAML("post", hook("PostSync"), jobOpts{})),
		"steady/cm.yaml":   configMapYAML("steady", map[string]string{"k": "v"}, nil),
		"app/objects.yaml": docs(configMapYAML("settings", map[string]string{"k": "v"}, nil), deploymentYAML("web", 2, wave(1))),
	})
	// An application synced before the kill must come back as it was,
	// without being synced again.
	steady := uniq("steady")
	e.createApp(t, steady, "--repo", r.url, "--path", "steady", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, steady)
	steadyRV := map[string]string{}
	for _, c := range e.clusters {
		cm, ok := c.configMap(t, ns, "steady")
		if !ok {
			t.Fatalf("%s: ConfigMap steady missing", c.Name)
		}
		steadyRV[c.Name] = cm.ResourceVersion
	}

	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	for _, c := range e.clusters {
		eventually(t, time.Minute, c.Name+": PreSync gate created", func() (bool, string) {
			_, err := c.kube.BatchV1().Jobs(ns).Get(ctxT(t), "gate", metav1.GetOptions{})
			return err == nil, fmt.Sprint(err)
		})
	}
	v := e.appGet(t, app)
	for _, tv := range v.Targets {
		if tv.phase() != "Running" {
			t.Fatalf("%s: operation %q before the kill, want Running\n%s", tv.Cluster, tv.phase(), v)
		}
	}

	if err := e.hub.kill(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() { // the other tests need a hub
		if !restarted {
			if err := e.hub.start(context.Background()); err != nil {
				t.Errorf("restart hub: %v", err)
			}
		}
	})
	for _, c := range e.clusters {
		_, err := c.kube.BatchV1().Jobs(ns).Patch(ctxT(t), "gate", types.MergePatchType, []byte(`{"spec":{"suspend":false}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatalf("%s: resume gate: %v", c.Name, err)
		}
	}
	// The spokes finish the sync while the hub is down.
	for _, c := range e.clusters {
		eventually(t, time.Minute, c.Name+": sync finished without the hub (PostSync hook complete)", func() (bool, string) {
			j, err := c.kube.BatchV1().Jobs(ns).Get(ctxT(t), "post", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return j.Status.Succeeded == 1, fmt.Sprintf("%+v", j.Status)
		})
		if _, ok := c.configMap(t, ns, "settings"); !ok {
			t.Errorf("%s: ConfigMap settings missing after the sync", c.Name)
		}
	}

	if err := e.hub.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	restarted = true
	if err := e.waitConnected(context.Background(), time.Minute, e.clusterNames()...); err != nil {
		t.Fatal(err)
	}
	e.appWait(t, app)
	v = e.appGet(t, app)
	for _, tv := range v.Targets {
		if tv.phase() != "Succeeded" || tv.Revision != sha {
			t.Errorf("%s after the restart: operation %q at %s, want Succeeded at %s", tv.Cluster, tv.phase(), short(tv.Revision), short(sha))
		}
		for _, name := range []string{"settings", "web"} {
			kind := map[string]string{"settings": "ConfigMap", "web": "Deployment"}[name]
			if rs, ok := tv.resource(kind, name); !ok || rs.Health != "Healthy" || rs.Sync != "Synced" {
				t.Errorf("%s: %s %s after the restart: %+v (listed %v), want Synced Healthy", tv.Cluster, kind, name, rs, ok)
			}
		}
	}
	sv := e.appGet(t, steady)
	for _, tv := range sv.Targets {
		if tv.Sync != "Synced" || tv.Health != "Healthy" || tv.phase() != "Succeeded" {
			t.Errorf("%s: application %s synced before the kill: %s %s %s after the restart, want Synced Healthy Succeeded",
				tv.Cluster, steady, tv.Sync, tv.Health, tv.phase())
		}
	}
	for _, c := range e.clusters {
		if n := len(historyOf(e.history(t, steady), c.Name)); n != 1 {
			t.Errorf("%s: %s has %d history entries after the restart, want 1 (no new sync)", c.Name, steady, n)
		}
		if cm, ok := c.configMap(t, ns, "steady"); !ok || cm.ResourceVersion != steadyRV[c.Name] {
			t.Errorf("%s: ConfigMap steady gone or written again after the restart (was at resourceVersion %s): %v", c.Name, steadyRV[c.Name], cm)
		}
	}
	eventually(t, 30*time.Second, "history records the sync as Succeeded", func() (bool, string) {
		h := e.history(t, app)
		for _, c := range e.clusters {
			hc := historyOf(h, c.Name)
			if len(hc) != 1 || hc[0].Revision != sha || hc[0].Result != resultSucceeded {
				return false, fmt.Sprintf("%+v", h)
			}
		}
		return true, ""
	})
}

// An application deleted (cascade, the default) while a spoke is
// disconnected is still pruned from that spoke's cluster once it
// reconnects: the deletion must not depend on the spoke being online.
func TestDeleteWhileSpokeDisconnectedCascades(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "offline")
	app := uniq("offline")
	r, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("orphan", map[string]string{"k": "v"}, nil)})
	e.must(t, "app", "create", app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	t.Cleanup(func() { e.flotilla(t, "app", "delete", app) }) // if the test stops before it deletes the application
	e.appWait(t, app)

	c2 := e.clusters[1]
	if err := e.spokes[1].stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // the other tests need the spoke
		if e.spokes[1].exited() {
			p, err := e.startSpoke(c2.Name, c2.Kubeconfig, e.tokens[c2.Name])
			if err != nil {
				t.Fatal(err)
			}
			e.spokes[1] = p
		}
		if err := e.waitConnected(context.Background(), time.Minute, c2.Name); err != nil {
			t.Error(err)
		}
	})
	eventually(t, 30*time.Second, "hub sees c2 disconnected", func() (bool, string) {
		cs, err := e.clusterList(context.Background())
		return err == nil && len(cs) > 0 && stateOf(cs, c2.Name) != "Connected", fmt.Sprint(cs, err)
	})
	e.must(t, "app", "delete", app)
	c1 := e.clusters[0]
	eventually(t, 30*time.Second, "c1 (connected) pruned the deleted application", func() (bool, string) {
		_, ok := c1.configMap(t, ns, "orphan")
		return !ok, "ConfigMap orphan still on c1"
	})

	p, err := e.startSpoke(c2.Name, c2.Kubeconfig, e.tokens[c2.Name])
	if err != nil {
		t.Fatal(err)
	}
	e.spokes[1] = p
	if err := e.waitConnected(context.Background(), time.Minute, c2.Name); err != nil {
		t.Fatal(err)
	}
	// The spoke logs when it dropped the application (after pruning it,
	// if told to): from then on the ConfigMap must be gone.
	eventually(t, 30*time.Second, "c2's spoke dropped "+app, func() (bool, string) {
		return p.logHas(`msg="target removed"`, "app="+app+" "), p.logTail(3)
	})
	eventually(t, 5*time.Second, "c2 pruned the application deleted while its spoke was away", func() (bool, string) {
		_, ok := c2.configMap(t, ns, "orphan")
		return !ok, "ConfigMap orphan still on c2; the spoke logged: " + p.logTail(1)
	})
}

func stateOf(cs []clusterView, name string) string {
	for _, c := range cs {
		if c.Name == name {
			return c.State
		}
	}
	return ""
}
