package policy_test

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/policy"
)

func teamA() *policy.Project {
	return &policy.Project{
		Name:         "team-a",
		SourceRepos:  []string{"https://git.example.com/team-a/*"},
		Destinations: []policy.Destination{{Cluster: "*", Namespace: "team-a"}, {Cluster: "prod-*", Namespace: "team-a-prod"}},
		ClusterResourceWhitelist: []schema.GroupKind{
			{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"},
			{Group: "", Kind: "Namespace"},
		},
		NamespaceResourceBlacklist: []schema.GroupKind{{Group: "", Kind: "ResourceQuota"}, {Group: "*", Kind: "Lease"}},
	}
}

func TestCheck(t *testing.T) {
	crb := schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}
	job := schema.GroupKind{Group: "batch", Kind: "Job"}
	for name, tc := range map[string]struct {
		cluster string
		obj     policy.Object
		want    string // "" allowed, else a part of the error
	}{
		"namespaced in destination":       {"dev", policy.Object{GroupKind: job, Namespaced: true, Namespace: "team-a", Name: "j"}, ""},
		"namespaced outside destinations": {"dev", policy.Object{GroupKind: job, Namespaced: true, Namespace: "kube-system", Name: "j"}, `namespace "kube-system" is not one of the project's destinations`},
		"destination of another cluster":  {"dev", policy.Object{GroupKind: job, Namespaced: true, Namespace: "team-a-prod", Name: "j"}, "team-a-prod"},
		"destination of this cluster":     {"prod-eu", policy.Object{GroupKind: job, Namespaced: true, Namespace: "team-a-prod", Name: "j"}, ""},
		"cluster-scoped not whitelisted":  {"dev", policy.Object{GroupKind: crb, Name: "admin"}, "cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not in clusterResourceWhitelist"},
		"cluster-scoped whitelisted":      {"dev", policy.Object{GroupKind: schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, Name: "r"}, ""},
		"custom cluster-scoped kind":      {"dev", policy.Object{GroupKind: schema.GroupKind{Group: "example.com", Kind: "Widget"}, Name: "w"}, "example.com/Widget"},
		"blacklisted kind":                {"dev", policy.Object{GroupKind: schema.GroupKind{Kind: "ResourceQuota"}, Namespaced: true, Namespace: "team-a", Name: "q"}, "namespaceResourceBlacklist"},
		"blacklisted in any group":        {"dev", policy.Object{GroupKind: schema.GroupKind{Group: "coordination.k8s.io", Kind: "Lease"}, Namespaced: true, Namespace: "team-a", Name: "l"}, "namespaceResourceBlacklist"},
		"namespace object of destination": {"dev", policy.Object{GroupKind: schema.GroupKind{Kind: "Namespace"}, Name: "team-a"}, ""},
		"namespace object elsewhere":      {"dev", policy.Object{GroupKind: schema.GroupKind{Kind: "Namespace"}, Name: "kube-system"}, `namespace "kube-system"`},
		"namespaced with no namespace":    {"dev", policy.Object{GroupKind: job, Namespaced: true, Name: "j"}, "no namespace"},
		"names the object as told":        {"dev", policy.Object{GroupKind: crb, Name: "admin", What: "PreSync hook ClusterRoleBinding admin"}, "PreSync hook ClusterRoleBinding admin: not permitted by the project team-a"},
	} {
		t.Run(name, func(t *testing.T) {
			err := teamA().ForCluster(tc.cluster).Check(tc.obj)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, policy.ErrDenied)):
				t.Fatalf("error %v, want ErrDenied with %q", err, tc.want)
			}
		})
	}
}

func TestNoProjectAllowsEverything(t *testing.T) {
	var p *policy.Project
	if err := p.ForCluster("c").Check(policy.Object{GroupKind: schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}, Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := p.CheckSource("https://anything"); err != nil {
		t.Fatal(err)
	}
}

func TestCheckNamespaceAndSource(t *testing.T) {
	r := teamA().ForCluster("dev")
	if err := r.CheckNamespace("team-a"); err != nil {
		t.Errorf("CreateNamespace team-a: %v", err)
	}
	if err := r.CheckNamespace("kube-system"); err == nil || !strings.Contains(err.Error(), "CreateNamespace") {
		t.Errorf("CreateNamespace kube-system: %v, want refused", err)
	}
	p := teamA()
	if err := p.CheckSource("https://git.example.com/team-a/apps"); err != nil {
		t.Error(err)
	}
	if err := p.CheckSource("https://git.example.com/team-b/apps"); err == nil || !strings.Contains(err.Error(), "sourceRepos") {
		t.Errorf("team-b repo: %v, want refused", err)
	}
	// A glob's * matches "..": a URL with dot segments is refused whatever
	// the globs (a chart dependency or remote base written in Git).
	glob := &policy.Project{Name: "glob", SourceRepos: []string{"https://git.example.com/team-a/*"}}
	for _, u := range []string{"https://git.example.com/team-a/..", "https://git.example.com/team-a/%2E%2E", "https://git.example.com/team-a/./x", "git@git.example.com:team-a/../b"} {
		if err := glob.CheckSource(u); err == nil || !strings.Contains(err.Error(), "a path segment . or ..") {
			t.Errorf("%s: %v, want refused", u, err)
		}
	}
	if err := glob.CheckSource("https://git.example.com/team-a/apps.v2..x"); err != nil {
		t.Errorf("dots inside a name: %v", err)
	}
}

// AppProject's clusterResourceBlacklist and namespaceResourceWhitelist.
func TestCheckBlacklistAndWhitelist(t *testing.T) {
	p := &policy.Project{Name: "strict", Destinations: []policy.Destination{{Cluster: "*", Namespace: "*"}},
		ClusterResourceWhitelist:   []schema.GroupKind{{Group: "*", Kind: "*"}},
		ClusterResourceBlacklist:   []schema.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}},
		NamespaceResourceWhitelist: []schema.GroupKind{{Group: "apps", Kind: "Deployment"}, {Group: "", Kind: "ConfigMap"}}}
	r := p.ForCluster("any")
	for name, tc := range map[string]struct {
		obj  policy.Object
		want string
	}{
		"whitelisted cluster kind":     {policy.Object{GroupKind: schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}, Name: "r"}, ""},
		"blacklisted cluster kind":     {policy.Object{GroupKind: schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}, Name: "b"}, "clusterResourceBlacklist"},
		"namespaced kind in whitelist": {policy.Object{GroupKind: schema.GroupKind{Group: "apps", Kind: "Deployment"}, Namespaced: true, Namespace: "a", Name: "d"}, ""},
		"namespaced kind not listed":   {policy.Object{GroupKind: schema.GroupKind{Kind: "Secret"}, Namespaced: true, Namespace: "a", Name: "s"}, "not in namespaceResourceWhitelist"},
	} {
		t.Run(name, func(t *testing.T) {
			err := r.Check(tc.obj)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, policy.ErrDenied)):
				t.Fatalf("error %v, want ErrDenied with %q", err, tc.want)
			}
		})
	}
}
