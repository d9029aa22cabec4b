package apply

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// ApplyOptions shape one server-side apply.
type ApplyOptions struct {
	DryRun bool // server-side dry-run: validated and defaulted, not stored
	Force  bool // take ownership of fields other managers own
	// NoValidation writes with fieldValidation=Ignore whatever the object's
	// own sync options say (the plan's Validate=false).
	NoValidation bool
}

// WriteOptions shape one create or replace.
type WriteOptions struct {
	DryRun       bool // server-side dry-run: validated and defaulted, not stored
	NoValidation bool // as ApplyOptions.NoValidation
}

// Apply server-side applies u (which must carry its namespace, if
// namespaced) and returns the object the API server answered. Errors name
// the object and carry the API server's message.
func (m *Manager) Apply(ctx context.Context, u *unstructured.Unstructured, opts ApplyOptions) (*unstructured.Unstructured, error) {
	data, err := u.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("%s: apply: %w", RefOf(u), err)
	}
	return m.write(ctx, RefOf(u), "apply", opts.DryRun, func(ri dynamic.ResourceInterface, dryRun []string) (*unstructured.Unstructured, error) {
		// A patch, not ri.Apply: ApplyOptions cannot carry fieldValidation.
		return ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager,
			Force: &opts.Force, DryRun: dryRun, FieldValidation: fieldValidation(u, opts.NoValidation)})
	})
}

// Create creates u (hooks with generateName) and returns the created
// object, whose name the API server chose.
func (m *Manager) Create(ctx context.Context, u *unstructured.Unstructured, opts WriteOptions) (*unstructured.Unstructured, error) {
	ref := RefOf(u)
	if ref.Name == "" {
		ref.Name = u.GetGenerateName() + "*"
	}
	return m.write(ctx, ref, "create", opts.DryRun, func(ri dynamic.ResourceInterface, dry []string) (*unstructured.Unstructured, error) {
		return ri.Create(ctx, u, metav1.CreateOptions{FieldManager: FieldManager, DryRun: dry, FieldValidation: fieldValidation(u, opts.NoValidation)})
	})
}

// Update replaces the live object with u (kubectl replace: the whole
// object, fields other managers set included), at the resourceVersion u
// carries, and returns what the API server stored.
func (m *Manager) Update(ctx context.Context, u *unstructured.Unstructured, opts WriteOptions) (*unstructured.Unstructured, error) {
	return m.write(ctx, RefOf(u), "replace", opts.DryRun, func(ri dynamic.ResourceInterface, dry []string) (*unstructured.Unstructured, error) {
		return ri.Update(ctx, u, metav1.UpdateOptions{FieldManager: FieldManager, DryRun: dry, FieldValidation: fieldValidation(u, opts.NoValidation)})
	})
}

// write runs one write on ref's resource (a server-side dry-run when
// dryRun) and names the object and the verb in its error.
func (m *Manager) write(ctx context.Context, ref Ref, verb string, dryRun bool,
	call func(ri dynamic.ResourceInterface, dryRun []string) (*unstructured.Unstructured, error)) (*unstructured.Unstructured, error) {
	ri, err := m.resource(ctx, ref)
	if err != nil {
		return nil, err
	}
	var dry []string
	if dryRun {
		dry, verb = []string{metav1.DryRunAll}, "dry-run "+verb
	}
	out, err := call(ri, dry)
	if err != nil {
		m.noteGone(ctx, err)
		return nil, fmt.Errorf("%s: %s: %w", ref, verb, err)
	}
	return out, nil
}
