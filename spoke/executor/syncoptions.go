package executor

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	"github.com/flotilla-gitops/flotilla/spoke/apply"
)

// refuseOptions refuses, before anything is applied, the objects whose own
// sync options ask for what the spoke does not do: ServerSideApply=false
// (client-side apply). Nothing is taken and ignored.
func refuseOptions(acts []plan.Action) error {
	var errs []error
	for _, a := range acts {
		if apply.HasSyncOption(a.Object, "ServerSideApply", "false") {
			errs = append(errs, fmt.Errorf("%s: %w", object.Describe(a.Object), ErrClientSideApply))
		}
	}
	return joinErrors(errs)
}

// migrateClientSideApply moves the fields kubectl's client-side apply still
// owns on an object to the spoke's field manager before it is applied, so
// that what Git no longer sets is removed (Argo CD's
// ClientSideApplyMigration, on by default; an object's sync options may
// say ClientSideApplyMigration=false, and so may the plan's options for
// every object). cur is the object as the dry-run or a read of it found it.
func (e *Executor) migrateClientSideApply(ctx context.Context, t *Target, obj, cur *unstructured.Unstructured) error {
	if !apply.NeedsMigration(cur) || t.Proto.GetOptions().GetDisableClientSideApplyMigration() ||
		apply.HasSyncOption(obj, "ClientSideApplyMigration", "false") {
		return nil
	}
	done, err := e.Cluster.MigrateClientSideApply(ctx, apply.RefOf(obj))
	if done {
		e.log(t).Info("client-side apply migrated", "object", object.Describe(obj), "from", apply.ClientSideApplyManager)
	}
	return err
}

// applyOptions are the options of a server-side apply of t's objects:
// conflicts forced unless the plan says ForceConflicts=false, validation
// off when it says Validate=false.
func applyOptions(t *Target, dryRun bool) apply.ApplyOptions {
	opts := t.Proto.GetOptions()
	return apply.ApplyOptions{DryRun: dryRun, Force: opts.GetForceConflicts(), NoValidation: opts.GetDisableValidation()}
}

// writeOptions are the options of a create or replace of t's objects.
func writeOptions(t *Target, dryRun bool) apply.WriteOptions {
	return apply.WriteOptions{DryRun: dryRun, NoValidation: t.Proto.GetOptions().GetDisableValidation()}
}
