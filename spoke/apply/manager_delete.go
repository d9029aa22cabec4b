package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Propagation parses a prune propagation policy: "foreground" (also "",
// Argo CD's default: the object goes only once its dependents are gone),
// "background" or "orphan".
func Propagation(s string) (metav1.DeletionPropagation, error) {
	switch s {
	case "background", "Background":
		return metav1.DeletePropagationBackground, nil
	case "", "foreground", "Foreground":
		return metav1.DeletePropagationForeground, nil
	case "orphan", "Orphan":
		return metav1.DeletePropagationOrphan, nil
	}
	return "", fmt.Errorf("propagation policy %q: want background, foreground or orphan", s)
}

// Delete deletes the object with the given propagation; when uid is set
// only that incarnation is deleted. An object already gone is not an error.
func (m *Manager) Delete(ctx context.Context, ref Ref, policy metav1.DeletionPropagation, uid types.UID) error {
	ri, err := m.resource(ctx, ref)
	if err != nil {
		return err
	}
	opts := metav1.DeleteOptions{PropagationPolicy: &policy}
	if uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	err = ri.Delete(ctx, ref.Name, opts)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: delete: %w", ref, err)
	}
	return nil
}
