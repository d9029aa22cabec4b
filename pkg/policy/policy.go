// Package policy decides whether a project allows an object: the one check
// the hub runs on every object of a plan (applies, hooks, auto-created
// namespaces, custom resources) and the spoke runs again before it
// touches the cluster. Argo CD AppProject semantics: namespaced objects
// only in the project's destination namespaces of the cluster, their kind
// not blacklisted; cluster-scoped kinds only when whitelisted.
package policy

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ErrDenied is wrapped by every refusal.
var ErrDenied = errors.New("not permitted by the project")

// Destination is one of a project's destinations: cluster and namespace
// globs ("" means any).
type Destination struct {
	Cluster   string
	Namespace string
}

// Project is what a project allows.
type Project struct {
	Name                       string
	SourceRepos                []string
	Destinations               []Destination
	ClusterResourceWhitelist   []schema.GroupKind
	NamespaceResourceBlacklist []schema.GroupKind
	ClusterResourceBlacklist   []schema.GroupKind
	NamespaceResourceWhitelist []schema.GroupKind // empty: every namespaced kind
}

// Rules are a project's rules for one cluster: what a plan carries to the
// spoke. A nil *Rules allows everything (no project).
type Rules struct {
	Project                    string
	Namespaces                 []string // globs
	ClusterResourceWhitelist   []schema.GroupKind
	NamespaceResourceBlacklist []schema.GroupKind
	ClusterResourceBlacklist   []schema.GroupKind
	NamespaceResourceWhitelist []schema.GroupKind // empty: every namespaced kind
}

// ForCluster returns the project's rules on cluster: the namespaces of the
// destinations whose cluster glob matches it.
func (p *Project) ForCluster(cluster string) *Rules {
	if p == nil {
		return nil
	}
	r := &Rules{Project: p.Name, ClusterResourceWhitelist: p.ClusterResourceWhitelist, NamespaceResourceBlacklist: p.NamespaceResourceBlacklist,
		ClusterResourceBlacklist: p.ClusterResourceBlacklist, NamespaceResourceWhitelist: p.NamespaceResourceWhitelist}
	for _, d := range p.Destinations {
		if Glob(orStar(d.Cluster), cluster) {
			r.Namespaces = append(r.Namespaces, orStar(d.Namespace))
		}
	}
	return r
}

// CheckSource refuses a repository the project does not list (none listed
// means none allowed, as Argo CD).
func (p *Project) CheckSource(repo string) error {
	if p == nil {
		return nil
	}
	if dotSegment(repo) {
		return fmt.Errorf("project %s: %w: repository %s: a path segment . or .. could name another repository than sourceRepos allows", p.Name, ErrDenied, repo)
	}
	for _, g := range p.SourceRepos {
		if g == "*" || Glob(g, repo) {
			return nil
		}
	}
	return fmt.Errorf("project %s: %w: repository %s is not in sourceRepos %v", p.Name, ErrDenied, repo, p.SourceRepos)
}

// dotSegment says whether a repository URL has a "." or ".." path
// segment, percent-encoded or not (a glob's * matches them).
func dotSegment(repo string) bool {
	u, _, _ := strings.Cut(strings.ToLower(repo), "?")
	u = strings.ReplaceAll(u, "%2e", ".")
	u = strings.ReplaceAll(strings.ReplaceAll(u, "%2f", "/"), ":", "/")
	for _, seg := range strings.Split(u, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Object is what is checked: its kind, scope as the cluster serves it,
// namespace (resolved) and name.
type Object struct {
	GroupKind  schema.GroupKind
	Namespaced bool
	Namespace  string
	Name       string
	// What names the object in errors ("PreSync hook Job kube-system/x");
	// empty: kind and name.
	What string
}

func (o Object) String() string {
	if o.What != "" {
		return o.What
	}
	kind := o.GroupKind.Kind
	if o.GroupKind.Group != "" {
		kind += "." + o.GroupKind.Group
	}
	if o.Namespace != "" {
		return kind + " " + o.Namespace + "/" + o.Name
	}
	return kind + " " + o.Name
}

// Check returns nil when the rules allow o, else an error wrapping
// ErrDenied naming the object, the project and the rule. A Namespace is
// cluster-scoped and must be whitelisted; the Namespace CreateNamespace
// adds is checked by CheckNamespace instead.
func (r *Rules) Check(o Object) error {
	if r == nil {
		return nil
	}
	if !o.Namespaced {
		if !Listed(r.ClusterResourceWhitelist, o.GroupKind) {
			return fmt.Errorf("%s: %w %s: cluster-scoped kind %s is not in clusterResourceWhitelist", o, ErrDenied, r.Project, FormatKind(o.GroupKind))
		}
		if Listed(r.ClusterResourceBlacklist, o.GroupKind) {
			return fmt.Errorf("%s: %w %s: cluster-scoped kind %s is in clusterResourceBlacklist", o, ErrDenied, r.Project, FormatKind(o.GroupKind))
		}
		if o.GroupKind == (schema.GroupKind{Kind: "Namespace"}) && !r.NamespaceAllowed(o.Name) {
			return fmt.Errorf("%s: %w %s: namespace %q is not one of the project's destinations %v", o, ErrDenied, r.Project, o.Name, r.Namespaces)
		}
		return nil
	}
	if o.Namespace == "" {
		return fmt.Errorf("%s: %w %s: a namespaced object with no namespace (set the application's destination namespace)", o, ErrDenied, r.Project)
	}
	if Listed(r.NamespaceResourceBlacklist, o.GroupKind) {
		return fmt.Errorf("%s: %w %s: kind %s is in namespaceResourceBlacklist", o, ErrDenied, r.Project, FormatKind(o.GroupKind))
	}
	if len(r.NamespaceResourceWhitelist) > 0 && !Listed(r.NamespaceResourceWhitelist, o.GroupKind) {
		return fmt.Errorf("%s: %w %s: kind %s is not in namespaceResourceWhitelist", o, ErrDenied, r.Project, FormatKind(o.GroupKind))
	}
	if !r.NamespaceAllowed(o.Namespace) {
		return fmt.Errorf("%s: %w %s: namespace %q is not one of the project's destinations %v", o, ErrDenied, r.Project, o.Namespace, r.Namespaces)
	}
	return nil
}

// CheckNamespace checks the Namespace that CreateNamespace adds: it must
// be one of the project's destination namespaces (no whitelist needed, as
// Argo CD).
func (r *Rules) CheckNamespace(name string) error {
	if r == nil || r.NamespaceAllowed(name) {
		return nil
	}
	return fmt.Errorf("Namespace %s (CreateNamespace): %w %s: namespace %q is not one of the project's destinations %v", name, ErrDenied, r.Project, name, r.Namespaces)
}

// NamespaceAllowed says whether ns matches one of the rules' namespaces.
func (r *Rules) NamespaceAllowed(ns string) bool {
	for _, g := range r.Namespaces {
		if Glob(g, ns) {
			return true
		}
	}
	return false
}

// Listed says whether gk matches one of gks: an empty group is the core
// group, "*" any group; kinds are globs ("" any kind).
func Listed(gks []schema.GroupKind, gk schema.GroupKind) bool {
	for _, l := range gks {
		if (l.Group == gk.Group || Glob(l.Group, gk.Group)) && Glob(orStar(l.Kind), gk.Kind) {
			return true
		}
	}
	return false
}

// Glob matches s against a path.Match pattern; a bad pattern matches
// nothing.
func Glob(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// FormatKind renders "Kind" (core group) or "group/Kind", as the CLI's
// --allow-cluster-resource takes it.
func FormatKind(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Group + "/" + gk.Kind
}

func orStar(s string) string {
	if strings.TrimSpace(s) == "" {
		return "*"
	}
	return s
}
