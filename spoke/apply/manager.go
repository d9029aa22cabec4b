// Package apply is the spoke's hands on the cluster: server-side apply with
// field manager "flotilla" through the dynamic client, kinds mapped to
// resources by cached discovery (refreshed when a kind is unknown, e.g.
// right after its CRD was applied), and the verbs the executor needs:
// apply (and dry-run), create (hooks with generateName), get, delete and
// wait. One concrete type, one file per verb, as flux's ssa.ResourceManager.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager of everything the
// spoke applies.
const FieldManager = "flotilla"

// Ref names an object with its full group, version and kind.
type Ref struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

// RefOf returns the ref of u.
func RefOf(u *unstructured.Unstructured) Ref {
	return Ref{GVK: u.GroupVersionKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

// String renders "Kind namespace/name" (or "Kind name").
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.GVK.Kind + " " + r.Name
	}
	return r.GVK.Kind + " " + r.Namespace + "/" + r.Name
}

// Manager applies objects to one cluster.
type Manager struct {
	dyn    dynamic.Interface
	meta   metadata.Interface
	disco  *discovery.DiscoveryClient
	cached discovery.CachedDiscoveryInterface
	mapper *restmapper.DeferredDiscoveryRESTMapper

	mu     sync.Mutex
	resets uint64 // discovery refreshes so far
}

// New returns a manager for the cluster of cfg.
func New(cfg *rest.Config) (*Manager, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	cached := memory.NewMemCacheClient(dc)
	return &Manager{dyn: dyn, meta: md, disco: dc, cached: cached, mapper: restmapper.NewDeferredDiscoveryRESTMapper(cached)}, nil
}

// Dynamic returns the dynamic client, for informers.
func (m *Manager) Dynamic() dynamic.Interface { return m.dyn }

// ServerVersion returns the cluster's Kubernetes version ("v1.37.2").
func (m *Manager) ServerVersion(ctx context.Context) (string, error) {
	v, err := m.disco.ServerVersionWithContext(ctx)
	if err != nil {
		return "", fmt.Errorf("server version: %w", err)
	}
	return v.GitVersion, nil
}

// Mapping maps a kind to its resource. An unknown kind refreshes discovery
// and is looked up again, so kinds whose CRD was just created are found;
// lookups that failed concurrently share one refresh.
func (m *Manager) Mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m.mu.Lock()
	seen := m.resets
	m.mu.Unlock()
	mp, err := m.mapper.RESTMappingWithContext(ctx, gvk.GroupKind(), gvk.Version)
	if err == nil || !meta.IsNoMatchError(err) {
		return mp, err
	}
	m.refresh(ctx, seen)
	return m.mapper.RESTMappingWithContext(ctx, gvk.GroupKind(), gvk.Version)
}

// refresh resets discovery unless another caller did since it saw seen
// resets (concurrent misses share one refresh).
func (m *Manager) refresh(ctx context.Context, seen uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.resets == seen {
		m.mapper.ResetWithContext(ctx)
		m.resets++
	}
}

// noteGone refreshes discovery after a request found its resource gone,
// so the next lookup of the kind sees what the cluster serves now.
func (m *Manager) noteGone(ctx context.Context, err error) {
	if IsResourceGone(err) {
		m.mu.Lock()
		seen := m.resets
		m.mu.Unlock()
		m.refresh(ctx, seen)
	}
}

// Namespaced says whether a kind is namespaced, and whether discovery knows
// the kind at all.
func (m *Manager) Namespaced(ctx context.Context, gvk schema.GroupVersionKind) (namespaced, known bool, err error) {
	mp, err := m.Mapping(ctx, gvk)
	if meta.IsNoMatchError(err) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return mp.Scope.Name() == meta.RESTScopeNameNamespace, true, nil
}

// resource returns the client for ref's resource (in its namespace when
// the kind is namespaced).
func (m *Manager) resource(ctx context.Context, ref Ref) (dynamic.ResourceInterface, error) {
	mp, err := m.Mapping(ctx, ref.GVK)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if mp.Scope.Name() == meta.RESTScopeNameNamespace {
		if ref.Namespace == "" {
			return nil, fmt.Errorf("%s: %w", ref, ErrNoNamespace)
		}
		return m.dyn.Resource(mp.Resource).Namespace(ref.Namespace), nil
	}
	return m.dyn.Resource(mp.Resource), nil
}

// IsUnknownKind reports whether err says a kind is not served by the
// cluster.
func IsUnknownKind(err error) bool {
	var nm *meta.NoKindMatchError
	return errors.As(err, &nm) || meta.IsNoMatchError(err)
}
