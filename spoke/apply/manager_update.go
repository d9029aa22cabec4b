package apply

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Update replaces the live object with u (kubectl replace: the whole
// object, fields other managers set included), at the resourceVersion u
// carries, and returns what the API server stored.
func (m *Manager) Update(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	ref := RefOf(u)
	ri, err := m.resource(ctx, ref)
	if err != nil {
		return nil, err
	}
	uo := metav1.UpdateOptions{FieldManager: FieldManager}
	verb := "replace"
	if dryRun {
		uo.DryRun = []string{metav1.DryRunAll}
		verb = "dry-run replace"
	}
	out, err := ri.Update(ctx, u, uo)
	if err != nil {
		m.noteGone(ctx, err)
		return nil, fmt.Errorf("%s: %s: %w", ref, verb, err)
	}
	return out, nil
}
