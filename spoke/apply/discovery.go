package apply

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
)

// ServedKind is a kind the cluster serves and its scope.
type ServedKind struct {
	GroupKind  schema.GroupKind
	Namespaced bool
}

// ServedKinds lists every kind the cluster serves (sorted), from cached
// discovery; refresh first re-reads discovery (CRDs created or deleted
// since). Groups whose discovery failed (an aggregated API that is down)
// are left out, not fatal.
func (m *Manager) ServedKinds(ctx context.Context, refresh bool) ([]ServedKind, error) {
	if refresh {
		m.mu.Lock()
		seen := m.resets
		m.mu.Unlock()
		m.refresh(ctx, seen)
	}
	lists, err := discovery.ServerPreferredResources(m.cached)
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	seen := map[schema.GroupKind]bool{}
	var out []ServedKind
	for _, l := range lists {
		gv, perr := schema.ParseGroupVersion(l.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range l.APIResources {
			gk := schema.GroupKind{Group: gv.Group, Kind: r.Kind}
			if strings.Contains(r.Name, "/") || seen[gk] {
				continue // subresources
			}
			seen[gk] = true
			out = append(out, ServedKind{GroupKind: gk, Namespaced: r.Namespaced})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].GroupKind.Group != out[j].GroupKind.Group {
			return out[i].GroupKind.Group < out[j].GroupKind.Group
		}
		return out[i].GroupKind.Kind < out[j].GroupKind.Kind
	})
	return out, nil
}
