package appset

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/bmatcuk/doublestar/v4"
	"sigs.k8s.io/yaml"
)

const repoURL = "https://git.example/infra.git"

// memGit is an in-memory repository: path -> content, for repoURL only.
type memGit struct {
	files map[string]string
	reads []string // "repo@rev" of every call
}

func (g *memGit) Files(repo, rev, pattern string) (map[string][]byte, error) {
	g.reads = append(g.reads, repo+"@"+rev)
	if repo != repoURL {
		return nil, fmt.Errorf("repository %s not found", repo)
	}
	out := map[string][]byte{}
	for p, c := range g.files {
		ok, err := doublestar.Match(pattern, p)
		if err != nil {
			return nil, err
		}
		if ok {
			out[p] = []byte(c)
		}
	}
	return out, nil
}

func (g *memGit) Dirs(repo, rev string) ([]string, error) {
	g.reads = append(g.reads, repo+"@"+rev)
	if repo != repoURL {
		return nil, fmt.Errorf("repository %s not found", repo)
	}
	seen := map[string]bool{}
	for p := range g.files {
		for d := path.Dir(p); d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
		}
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// specOf decodes a YAML ApplicationSet spec into JSON-shaped values.
func specOf(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("spec: %v", err)
	}
	return m
}

// field reads a dotted path ("spec.source.path", "metadata.labels.env") from doc.
func field(doc map[string]any, p string) any {
	var cur any = doc
	for _, part := range strings.Split(p, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

var threeClusters = []Cluster{
	{Name: "staging", Server: "https://staging", Labels: map[string]string{"env": "staging"}},
	{Name: "prod-eu", Server: "https://prod-eu", Labels: map[string]string{"env": "prod", "region": "eu"},
		Annotations: map[string]string{"owner": "team-eu"}},
	{Name: "Prod_US", Server: "https://prod-us", Labels: map[string]string{"env": "prod", "region": "us"}},
}

var repoFiles = map[string]string{
	"apps/guestbook/kustomization.yaml": "",
	"apps/guestbook/base/deploy.yaml":   "",
	"apps/helm-guestbook/Chart.yaml":    "",
	"apps/legacy/README":                "",
	"other/thing.txt":                   "",
	"apps/.hidden/x.yaml":               "",
	"clusters/eu/config.json":           `{"cluster": {"name": "eu", "address": "https://eu"}, "replicas": 3}`,
	"clusters/us/config.yaml":           "- cluster: {name: us-east, address: 'https://us-east'}\n- cluster: {name: us-west, address: 'https://us-west'}\n",
	"clusters/bad/config.yaml":          "- [not, an, object]\n",
	"clusters/empty/config.yaml":        "",
}
