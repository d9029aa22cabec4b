package apply

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ApplyOptions shape one server-side apply.
type ApplyOptions struct {
	DryRun bool // server-side dry-run: validated and defaulted, not stored
	Force  bool // take ownership of fields other managers own
}

// Apply server-side applies u (which must carry its namespace, if
// namespaced) and returns the object the API server answered. Errors name
// the object and carry the API server's message.
func (m *Manager) Apply(ctx context.Context, u *unstructured.Unstructured, opts ApplyOptions) (*unstructured.Unstructured, error) {
	ref := RefOf(u)
	ri, err := m.resource(ctx, ref)
	if err != nil {
		return nil, err
	}
	ao := metav1.ApplyOptions{FieldManager: FieldManager, Force: opts.Force}
	if opts.DryRun {
		ao.DryRun = []string{metav1.DryRunAll}
	}
	out, err := ri.Apply(ctx, u.GetName(), u, ao)
	if err != nil {
		m.noteGone(ctx, err)
		verb := "apply"
		if opts.DryRun {
			verb = "dry-run apply"
		}
		return nil, fmt.Errorf("%s: %s: %w", ref, verb, err)
	}
	return out, nil
}

// Create creates u (hooks with generateName) and returns the created
// object, whose name the API server chose.
func (m *Manager) Create(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	ref := RefOf(u)
	if ref.Name == "" {
		ref.Name = u.GetGenerateName() + "*"
	}
	ri, err := m.resource(ctx, ref)
	if err != nil {
		return nil, err
	}
	co := metav1.CreateOptions{FieldManager: FieldManager}
	verb := "create"
	if dryRun {
		co.DryRun = []string{metav1.DryRunAll}
		verb = "dry-run create"
	}
	out, err := ri.Create(ctx, u, co)
	if err != nil {
		m.noteGone(ctx, err)
		return nil, fmt.Errorf("%s: %s: %w", ref, verb, err)
	}
	return out, nil
}
