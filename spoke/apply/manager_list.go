package apply

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listPage is the page size of list requests.
const listPage = 500

// ResourceVersions lists the objects of a kind in a namespace ("" for a
// cluster-scoped kind) that carry the managed label, as metadata only,
// page by page, and returns each one's resourceVersion by name: one
// request per 500 objects, where a GET or a dry-run is one per object.
func (m *Manager) ResourceVersions(ctx context.Context, gvk schema.GroupVersionKind, namespace string) (map[string]string, error) {
	out := map[string]string{}
	err := m.listMeta(ctx, gvk, namespace, LabelManaged+"=true", func(it metav1.PartialObjectMetadata) {
		out[it.Name] = it.ResourceVersion
	})
	return out, err
}

// Names lists the names of the objects of a kind in a namespace that
// match a label selector.
func (m *Manager) Names(ctx context.Context, gvk schema.GroupVersionKind, namespace, selector string) ([]string, error) {
	var out []string
	err := m.listMeta(ctx, gvk, namespace, selector, func(it metav1.PartialObjectMetadata) { out = append(out, it.Name) })
	return out, err
}

// listMeta lists objects as metadata, page by page, handing each to fn.
func (m *Manager) listMeta(ctx context.Context, gvk schema.GroupVersionKind, namespace, selector string, fn func(metav1.PartialObjectMetadata)) error {
	mp, err := m.Mapping(ctx, gvk)
	if err != nil {
		return fmt.Errorf("list %s: %w", gvk.Kind, err)
	}
	res := m.meta.Resource(mp.Resource)
	var list func(context.Context, metav1.ListOptions) (*metav1.PartialObjectMetadataList, error) = res.List
	if mp.Scope.Name() == meta.RESTScopeNameNamespace {
		list = res.Namespace(namespace).List
	}
	opts := metav1.ListOptions{Limit: listPage, LabelSelector: selector}
	for {
		l, err := list(ctx, opts)
		if err != nil {
			return fmt.Errorf("list %s in %q: %w", mp.Resource.Resource, namespace, err)
		}
		for _, it := range l.Items {
			fn(it)
		}
		if opts.Continue = l.Continue; opts.Continue == "" {
			return nil
		}
	}
}
