package apply

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listPage is the page size of ResourceVersions.
const listPage = 500

// ResourceVersions lists the objects of a kind in a namespace ("" for a
// cluster-scoped kind) that carry the managed label, as metadata only,
// page by page, and returns each one's resourceVersion by name: one
// request per 500 objects, where a GET or a dry-run is one per object.
func (m *Manager) ResourceVersions(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (map[string]string, error) {
	mp, err := m.Mapping(ctx, gvk)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", gvk.Kind, err)
	}
	res := m.meta.Resource(mp.Resource)
	var list func(context.Context, metav1.ListOptions) (*metav1.PartialObjectMetadataList, error) = res.List
	if mp.Scope.Name() == meta.RESTScopeNameNamespace {
		list = res.Namespace(namespace).List
	}
	out := map[string]string{}
	opts := metav1.ListOptions{Limit: listPage, LabelSelector: LabelManaged + "=true"}
	for {
		l, err := list(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("list %s in %q: %w", mp.Resource.Resource, namespace, err)
		}
		for _, it := range l.Items {
			out[it.Name] = it.ResourceVersion
		}
		if opts.Continue = l.Continue; opts.Continue == "" {
			return out, nil
		}
	}
}
