package suite

import "testing"

// A directory of Jsonnet, as Argo CD renders it: ext vars and top-level
// arguments as strings and as code, and a library search path, from the
// CLI's Argo CD flags, on real clusters.
func TestJsonnetDirectory(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "jsonnet")
	r, _ := e.newRepo(t, map[string]string{
		"vendor/greet.libsonnet": "{ greet(n):: 'hello ' + n }\n",
		"app/main.jsonnet": `local lib = import 'greet.libsonnet';
function(replicas, suffix) [{
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'jsonnet-' + suffix },
  data: { env: std.extVar('env'), count: std.toString(std.extVar('count')), replicas: std.toString(replicas), greeting: lib.greet('you') },
}]
`,
	})
	app := uniq("jsonnet")
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync",
		"--jsonnet-ext-var-str", "env=prod", "--jsonnet-ext-var-code", "count=1+2", "--jsonnet-tla-code", "replicas=3",
		"--jsonnet-tla-str", "suffix=x", "--jsonnet-libs", "vendor")
	e.appWait(t, app)
	want := map[string]string{"env": "prod", "count": "3", "replicas": "3", "greeting": "hello you"}
	for _, c := range e.clusters {
		cm, ok := c.configMap(t, ns, "jsonnet-x")
		if !ok {
			t.Fatalf("%s: ConfigMap jsonnet-x not deployed", c.Name)
		}
		for k, v := range want {
			if cm.Data[k] != v {
				t.Errorf("%s: %s = %q, want %q", c.Name, k, cm.Data[k], v)
			}
		}
	}
}
