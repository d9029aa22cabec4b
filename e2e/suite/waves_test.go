package suite

import (
	"fmt"
	"maps"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scenario 1: an application with sync waves and PreSync/PostSync hooks
// syncs to both clusters in the right order, as the API servers saw it.
func TestWavesAndHooksInOrder(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "waves")
	app := uniq("waves")
	objects := func(last string) string {
		return docs(
			configMapYAML("cm-first", map[string]string{"wave": "-1"}, wave(-1)),
			configMapYAML("cm-zero", map[string]string{"wave": "0"}, nil),
			deploymentYAML("web", 2, nil),
			configMapYAML("cm-last", map[string]string{"wave": last}, wave(1)),
		)
	}
	pre := maps.Clone(hook("PreSync"))
	pre[annWave] = "-1"
	r, _ := e.newRepo(t, map[string]string{
		"app/hooks.yaml": docs(
			jobYAML("pre-a", pre, jobOpts{}),
			jobYAML("pre-b", hook("PreSync"), jobOpts{}),
			jobYAML("post", hook("PostSync"), jobOpts{}),
			jobYAML("post-cleanup", map[string]string{annHook: "PostSync", "argocd.argoproj.io/hook-delete-policy": "HookSucceeded"}, jobOpts{}),
		),
		"app/objects.yaml": objects("1"),
	})
	recs := map[string]*recorder{}
	for _, c := range e.clusters {
		recs[c.Name] = record(t, c, ns)
	}
	e.createApp(t, app, "--repo", r.url, "--revision", "main", "--path", "app",
		"--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.appWait(t, app)

	v := e.appGet(t, app)
	if len(v.Targets) != 2 {
		t.Fatalf("want a target per cluster:\n%s", v)
	}
	for _, tv := range v.Targets {
		if tv.phase() != "Succeeded" {
			t.Errorf("%s: operation %q (%s), want Succeeded", tv.Cluster, tv.phase(), tv.message())
		}
		for _, name := range []string{"cm-first", "cm-zero", "cm-last"} {
			if rs, ok := tv.resource("ConfigMap", name); !ok || rs.Sync != "Synced" || rs.Health != "Healthy" {
				t.Errorf("%s: ConfigMap %s: %+v (listed %v), want Synced and Healthy", tv.Cluster, name, rs, ok)
			}
		}
	}

	for _, c := range e.clusters {
		eventually(t, 10*time.Second, c.Name+": hook with delete policy HookSucceeded deleted", func() (bool, string) {
			_, err := c.kube.BatchV1().Jobs(ns).Get(ctxT(t), "post-cleanup", metav1.GetOptions{})
			return apierrors.IsNotFound(err), fmt.Sprint(err)
		})
	}

	// Each object is ready (a Job complete, a Deployment available) at a
	// lower revision than the next one's creation.
	order := []struct{ ready, created string }{
		{"Job/pre-a", "Job/pre-b"},                  // PreSync wave -1, then wave 0
		{"Job/pre-b", "ConfigMap/cm-first"},         // PreSync finished before Sync starts
		{"ConfigMap/cm-first", "ConfigMap/cm-zero"}, // wave -1 before wave 0
		{"ConfigMap/cm-first", "Deployment/web"},
		{"Deployment/web", "ConfigMap/cm-last"}, // wave 1 waits for wave 0 to be healthy
		{"ConfigMap/cm-zero", "ConfigMap/cm-last"},
		{"ConfigMap/cm-last", "Job/post"}, // PostSync after the whole Sync phase
	}
	for _, c := range e.clusters {
		rec := recs[c.Name]
		keys := []string{"Job/pre-a", "Job/pre-b", "Job/post", "ConfigMap/cm-first", "ConfigMap/cm-zero", "ConfigMap/cm-last", "Deployment/web"}
		eventually(t, 20*time.Second, c.Name+": every object seen created and ready", func() (bool, string) {
			for _, k := range keys {
				if a, rd := rec.at(k); a == 0 || rd == 0 {
					return false, fmt.Sprintf("%s: added at %d, ready at %d", k, a, rd)
				}
			}
			return true, ""
		})
		for _, o := range order {
			_, ready := rec.at(o.ready)
			created, _ := rec.at(o.created)
			if ready >= created {
				t.Errorf("%s: want %s ready (revision %d) before %s created (revision %d)", c.Name, o.ready, ready, o.created, created)
			}
		}
		// The Jobs' own timestamps agree (second resolution).
		done := rec.object("Job/pre-b")
		first := rec.object("ConfigMap/cm-first")
		completed, _ := time.Parse(time.RFC3339, stringAt(done.Object, "status", "completionTime"))
		if created := first.GetCreationTimestamp().Time; completed.IsZero() || completed.After(created) {
			t.Errorf("%s: PreSync Job pre-b completed at %s, after ConfigMap cm-first was created at %s", c.Name, completed, created)
		}
	}

	// The next revision runs the hooks again: BeforeHookCreation (the
	// default policy) replaces the Jobs of the previous sync.
	hooks := []string{"pre-a", "pre-b", "post"}
	uids := map[string]string{}
	for _, c := range e.clusters {
		for _, h := range hooks {
			uids[c.Name+"/"+h] = string(recs[c.Name].object("Job/" + h).GetUID())
		}
	}
	sha := r.commit(t, "change wave 1", map[string]string{"app/objects.yaml": objects("1-changed")})
	r.webhook(t)
	e.waitRevision(t, app, sha)
	for _, c := range e.clusters {
		for _, h := range hooks {
			j, err := c.kube.BatchV1().Jobs(ns).Get(ctxT(t), h, metav1.GetOptions{})
			if err != nil {
				t.Errorf("%s: hook %s after the second sync: %v", c.Name, h, err)
			} else if string(j.UID) == uids[c.Name+"/"+h] || j.Status.Succeeded != 1 {
				t.Errorf("%s: hook %s did not run again for the new revision (uid %s, was %s; succeeded %d)",
					c.Name, h, j.UID, uids[c.Name+"/"+h], j.Status.Succeeded)
			}
		}
		if cm, ok := c.configMap(t, ns, "cm-last"); !ok || cm.Data["wave"] != "1-changed" {
			t.Errorf("%s: cm-last after the second sync: %v", c.Name, cm)
		}
	}
}

func stringAt(obj map[string]any, path ...string) string {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}
