package suite

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type appSetView struct {
	Name         string   `json:"name"`
	Applications []string `json:"applications"`
	Error        string   `json:"error"`
}

func (e *env) appSet(t *testing.T, name string) appSetView {
	t.Helper()
	var v appSetView
	out := e.must(t, "appset", "get", name, "-o", "json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("appset get %s: %v\n%s", name, err, out)
	}
	return v
}

// An Argo CD ApplicationSet with a clusters generator over three labelled
// clusters (the suite's two and one registered without a spoke):
// relabelling a cluster adds and removes its generated application, and
// a removed one takes its resources with it.
func TestApplicationSetClustersGenerator(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "aset")
	key := uniq("fleet")
	third := uniq("third")
	if _, err := e.addCluster(context.Background(), third, key+"=yes"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.flotilla(t, "cluster", "remove", third) })
	for _, c := range e.clusters {
		e.must(t, "cluster", "set", c.Name, "--label", key+"=yes")
		t.Cleanup(func() { e.flotilla(t, "cluster", "set", c.Name, "--label", key+"-") })
	}
	r, _ := e.newRepo(t, map[string]string{"guestbook/cm.yaml": configMapYAML("guestbook", map[string]string{"k": "v"}, nil)})
	set := uniq("guestbook")
	res := e.applyFile(t, `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: `+set+`
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - clusters:
      selector:
        matchLabels:
          `+key+`: "yes"
  template:
    metadata:
      name: '{{.name}}-`+set+`'
    spec:
      project: default
      source:
        repoURL: `+r.url+`
        targetRevision: HEAD
        path: guestbook
      destination:
        name: '{{.name}}'
        namespace: `+ns+`
      syncPolicy:
        automated: {prune: true}
`)
	if res.code != 0 {
		t.Fatalf("%s", res)
	}
	t.Cleanup(func() { e.flotilla(t, "appset", "delete", set) })
	want := func(clusters ...string) func() (bool, string) {
		return func() (bool, string) {
			v := e.appSet(t, set)
			got := strings.Join(v.Applications, ",")
			var names []string
			for _, c := range clusters {
				names = append(names, c+"-"+set)
			}
			return got == strings.Join(names, ",") && v.Error == "", got + " " + v.Error
		}
	}
	c0, c1 := e.clusters[0].Name, e.clusters[1].Name
	eventually(t, time.Minute, "one application per labelled cluster", want(sorted(c0, c1, third)...))
	for _, c := range e.clusters {
		e.appWait(t, c.Name+"-"+set)
		if _, ok := c.configMap(t, ns, "guestbook"); !ok {
			t.Fatalf("%s: guestbook not deployed", c.Name)
		}
	}
	if v := e.declared(t)[c0+"-"+set]; v.Parent != "" {
		t.Errorf("a generated application has parent %q; its set is not an application", v.Parent)
	}
	e.must(t, "cluster", "set", c1, "--label", key+"-")
	eventually(t, time.Minute, c1+"'s application removed with its label", want(sorted(c0, third)...))
	eventually(t, time.Minute, c1+": guestbook deleted with its application", func() (bool, string) {
		_, ok := e.clusters[1].configMap(t, ns, "guestbook")
		return !ok, "still there"
	})
	e.must(t, "cluster", "set", c1, "--label", key+"=yes")
	eventually(t, time.Minute, c1+"'s application back with its label", want(sorted(c0, c1, third)...))
	e.appWait(t, c1+"-"+set)
}

func sorted(s ...string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
