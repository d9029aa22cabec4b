package plan

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// Selector names resources for a selective sync (Argo CD's
// `argocd app sync --resource GROUP:KIND:NAME`): Group "" is the core
// group; an empty Namespace matches any namespace.
type Selector struct {
	Group, Kind, Namespace, Name string
}

func (s Selector) String() string {
	ns := s.Namespace
	if ns != "" {
		ns += "/"
	}
	return fmt.Sprintf("%s:%s:%s%s", s.Group, s.Kind, ns, s.Name)
}

// Matches reports whether id is the resource s names.
func (s Selector) Matches(id object.ID) bool {
	return s.Group == id.Group && strings.EqualFold(s.Kind, id.Kind) && s.Name == id.Name &&
		(s.Namespace == "" || s.Namespace == id.Namespace)
}

// Selected reports whether a selective sync includes id (every object
// when there is no selection).
func Selected(only []Selector, id object.ID) bool {
	if len(only) == 0 {
		return true
	}
	for _, s := range only {
		if s.Matches(id) {
			return true
		}
	}
	return false
}

// selectObjects keeps what a selective sync applies: the named objects,
// never hooks (Argo CD runs no hooks in a selective sync). The others are
// returned as kept: neither applied nor pruned. A selector that names
// nothing desired or live is an error naming it.
func selectObjects(objs, live []*unstructured.Unstructured, only []Selector, p *Plan) (apply []*unstructured.Unstructured, kept map[object.ID]bool, err error) {
	if len(only) == 0 {
		return objs, nil, nil
	}
	kept = map[object.ID]bool{}
	found := make([]bool, len(only))
	mark := func(id object.ID) bool {
		hit := false
		for i, s := range only {
			if s.Matches(id) {
				found[i], hit = true, true
			}
		}
		return hit
	}
	for _, u := range objs {
		id := object.IDOf(u)
		isHook, _, _ := hookInfo(u)
		switch {
		case !mark(id):
			kept[id] = true
		case isHook:
			p.Skipped = append(p.Skipped, refOf(u, "hook: not run in a selective sync"))
		default:
			apply = append(apply, u)
		}
	}
	for _, u := range live {
		if id := object.IDOf(u); !mark(id) {
			kept[id] = true
		}
	}
	for i, ok := range found {
		if !ok {
			return nil, nil, fmt.Errorf("selective sync: resource %s is neither in the application's source nor among the objects it deployed", only[i])
		}
	}
	return apply, kept, nil
}
