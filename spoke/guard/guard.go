// Package guard holds the spoke's local guardrails: bounds on what it will
// ever apply, set by the cluster's operator with spoke flags and enforced
// whatever the hub sends, so that a compromised hub cannot take over the
// cluster. The hub's projects are the first line; these are the last.
package guard

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/policy"
)

// ErrRefused is wrapped by every guardrail violation.
var ErrRefused = errors.New("refused by the spoke's guardrails")

// Rules bound what the spoke applies, creates and deletes.
type Rules struct {
	// AllowedNamespaces are globs (path.Match); empty allows every
	// namespace. A Namespace object is allowed when its name is.
	AllowedNamespaces []string
	// AllowClusterScoped allows cluster-scoped kinds (other than Namespaces
	// named in AllowedNamespaces, which are always allowed).
	AllowClusterScoped bool
	// DeniedKinds are never touched; an empty Group matches the core group,
	// a Group of "*" any group.
	DeniedKinds []schema.GroupKind
}

// DefaultRules allow everything: the hub's project rules apply alone.
func DefaultRules() Rules { return Rules{AllowClusterScoped: true} }

// Object describes what is checked: the same as a project's check.
type Object = policy.Object

// Check returns nil when the rules allow the object, else an error wrapping
// ErrRefused that names the object and the rule.
func (r Rules) Check(o Object) error {
	for _, d := range r.DeniedKinds {
		if d.Kind == o.GroupKind.Kind && (d.Group == "*" || d.Group == o.GroupKind.Group) {
			return fmt.Errorf("%s: %w: kind %s is denied (--denied-kinds)", o, ErrRefused, formatKind(d))
		}
	}
	if o.GroupKind == (schema.GroupKind{Kind: "Namespace"}) {
		if len(r.AllowedNamespaces) > 0 && !r.namespaceAllowed(o.Name) {
			return fmt.Errorf("%s: %w: namespace %q is not allowed (--allowed-namespaces %s)", o, ErrRefused, o.Name, strings.Join(r.AllowedNamespaces, ","))
		}
		if len(r.AllowedNamespaces) == 0 && !r.AllowClusterScoped {
			return fmt.Errorf("%s: %w: cluster-scoped kinds are not allowed (--allow-cluster-scoped=false)", o, ErrRefused)
		}
		return nil
	}
	if !o.Namespaced {
		if !r.AllowClusterScoped {
			return fmt.Errorf("%s: %w: cluster-scoped kinds are not allowed (--allow-cluster-scoped=false)", o, ErrRefused)
		}
		return nil
	}
	if !r.namespaceAllowed(o.Namespace) {
		return fmt.Errorf("%s: %w: namespace %q is not allowed (--allowed-namespaces %s)", o, ErrRefused, o.Namespace, strings.Join(r.AllowedNamespaces, ","))
	}
	return nil
}

func (r Rules) namespaceAllowed(ns string) bool {
	if len(r.AllowedNamespaces) == 0 {
		return true
	}
	for _, g := range r.AllowedNamespaces {
		if ok, err := path.Match(g, ns); err == nil && ok {
			return true
		}
	}
	return false
}

// ParseKinds parses a comma-separated list of Kind or Kind.group entries
// ("Secret,ClusterRoleBinding.rbac.authorization.k8s.io,Role.*").
func ParseKinds(s string) ([]schema.GroupKind, error) {
	var out []schema.GroupKind
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		kind, group, _ := strings.Cut(f, ".")
		if kind == "" {
			return nil, fmt.Errorf("denied kind %q: want Kind or Kind.group", f)
		}
		out = append(out, schema.GroupKind{Group: group, Kind: kind})
	}
	return out, nil
}

// ParseNamespaces parses a comma-separated list of namespace globs.
func ParseNamespaces(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if _, err := path.Match(f, ""); err != nil {
			return nil, fmt.Errorf("allowed namespace %q: %w", f, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func formatKind(gk schema.GroupKind) string {
	if gk.Group == "" {
		return gk.Kind
	}
	return gk.Kind + "." + gk.Group
}
