package suite

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// stuckDeploymentYAML is a Deployment that never becomes ready: its pods
// ask for a node no cluster has.
func stuckDeploymentYAML(name string, ann map[string]string) string {
	tpl := podTemplate(name, false, "Always")
	tpl["spec"].(map[string]any)["nodeSelector"] = map[string]any{"flotilla.dev/no-such-node": "true"}
	return toYAML(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(name, ann),
		"spec": map[string]any{"replicas": 1, "selector": map[string]any{"matchLabels": map[string]any{"app": name}}, "template": tpl}})
}

// An automated application with pruning whose path comes to render
// nothing keeps its objects, the target saying why (Argo CD's allowEmpty
// guard); `app set --allow-empty` lets the sync prune them.
func TestAllowEmptyFromCLI(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "empty")
	app := uniq("empty")
	r, _ := e.newRepo(t, map[string]string{
		"app/README.md": "nothing but settings\n",
		"app/cm.yaml":   configMapYAML("settings", map[string]string{"k": "v"}, nil),
	})
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync", "--prune")
	e.appWait(t, app)
	sha := r.commit(t, "remove every manifest", map[string]string{"app/cm.yaml": ""})
	r.webhook(t)
	eventually(t, time.Minute, "the empty plan is refused on every target", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if !strings.Contains(tv.Error, "automated sync refused") || !strings.Contains(tv.Error, "allowEmpty") {
				return false, v.String()
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
	for _, c := range e.clusters {
		if _, ok := c.configMap(t, ns, "settings"); !ok {
			t.Errorf("%s: ConfigMap settings pruned although allowEmpty is off", c.Name)
		}
	}

	e.must(t, "app", "set", app, "--allow-empty")
	for _, c := range e.clusters {
		eventually(t, time.Minute, c.Name+": settings pruned with --allow-empty", func() (bool, string) {
			_, ok := c.configMap(t, ns, "settings")
			return !ok, "ConfigMap settings still exists"
		})
	}
	eventually(t, time.Minute, "targets at the empty revision, Succeeded", func() (bool, string) {
		v := e.appGet(t, app)
		for _, tv := range v.Targets {
			if tv.Revision != sha || tv.phase() != "Succeeded" || tv.Error != "" {
				return false, v.String()
			}
		}
		return len(v.Targets) == len(e.clusters), v.String()
	})
}

// `--wave-timeout` bounds how long a wave may take to become healthy: a
// Deployment that never becomes ready fails the sync at that timeout
// (not the spoke's default of 10 minutes), naming it, and the next wave
// is never applied.
func TestWaveTimeoutFromCLI(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "wavet")
	app := uniq("wavet")
	r, _ := e.newRepo(t, map[string]string{
		"app/stuck.yaml": stuckDeploymentYAML("stuck", wave(0)),
		"app/next.yaml":  configMapYAML("next", map[string]string{"k": "v"}, wave(1)),
	})
	start := time.Now()
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns,
		"--auto-sync", "--wave-timeout", "3s")
	v := e.waitPhase(t, app, "Failed")
	if took := time.Since(start); took < 3*time.Second {
		t.Errorf("failed after %s, before the 3s wave timeout", took)
	}
	want := fmt.Sprintf("Deployment %s/stuck: still Progressing after the wave timed out (3s)", ns)
	for _, tv := range v.Targets {
		if !strings.Contains(tv.message(), want) {
			t.Errorf("%s: operation message %q, want %q", tv.Cluster, tv.message(), want)
		}
	}
	for _, c := range e.clusters {
		if _, ok := c.configMap(t, ns, "next"); ok {
			t.Errorf("%s: ConfigMap next (wave 1) applied after wave 0 timed out", c.Name)
		}
	}
}
