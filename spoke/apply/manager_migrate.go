package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/client-go/util/retry"
)

// ClientSideApplyManager is the field manager of kubectl's client-side
// apply, whose fields a sync takes over before it applies (Argo CD's
// ClientSideApplyMigration, on by default).
const ClientSideApplyManager = "kubectl-client-side-apply"

// NeedsMigration reports whether u has fields a client-side apply
// (manager, operation Update) still owns.
func NeedsMigration(u *unstructured.Unstructured) bool {
	if u == nil {
		return false
	}
	for _, f := range u.GetManagedFields() {
		if f.Manager == ClientSideApplyManager && f.Operation == metav1.ManagedFieldsOperationUpdate {
			return true
		}
	}
	return false
}

// MigrateClientSideApply moves the fields kubectl's client-side apply owns
// on the live object to the spoke's field manager (client-go's csaupgrade,
// as kubectl apply --server-side does and Argo CD before a server-side
// apply), so that a field since removed from Git is removed from the
// object by the next apply instead of staying, owned by kubectl. It
// reports whether it changed anything; a concurrent write is retried.
func (m *Manager) MigrateClientSideApply(ctx context.Context, ref Ref) (bool, error) {
	ri, err := m.resource(ctx, ref)
	if err != nil {
		return false, err
	}
	migrated := false
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := ri.Get(ctx, ref.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil || !NeedsMigration(live) {
			return err
		}
		patch, err := csaupgrade.UpgradeManagedFieldsPatch(live, sets.New(ClientSideApplyManager), FieldManager)
		if err != nil || patch == nil {
			return err
		}
		if _, err := ri.Patch(ctx, ref.Name, types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
			return err
		}
		migrated = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("%s: client-side apply migration: %w", ref, err)
	}
	return migrated, nil
}
