package executor

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/spoke/apply"
	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// LabelHookRun marks a hook object with the run that created it (plan,
// generation and the hook's place in the plan), so that a restarted spoke
// finds the hook it created instead of creating it again.
const LabelHookRun = "flotilla.dev/hook-run"

// hookToken names one hook of one run: a valid label value (63 bytes at
// most, alphanumerics and '-').
func hookToken(t *Target, key string) string {
	h := t.Proto.GetHash()
	if len(h) > 16 {
		h = h[:16]
	}
	return fmt.Sprintf("%s-g%d-%s", h, t.Generation, strings.ReplaceAll(key, "/", "-"))
}

func withHookToken(u *unstructured.Unstructured, token string) *unstructured.Unstructured {
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelHookRun] = token
	u.SetLabels(labels)
	return u
}

// adoptHook returns the live object this run created for a hook before a
// restart (nil when it created none): by the name it recorded or the
// hook's own name, checked against the run's token, or for a generateName
// hook by the token alone. A hook recorded Running by a spoke that did not
// label it yet is taken by its recorded name.
func (e *Executor) adoptHook(ctx context.Context, obj *unstructured.Unstructured, prev store.Hook, token string) (*unstructured.Unstructured, error) {
	if prev.Phase != store.Running && prev.Phase != store.Creating {
		return nil, nil
	}
	ref := apply.RefOf(obj)
	if prev.Name != "" {
		ref.Name = prev.Name
	}
	if ref.Name == "" {
		names, err := e.Cluster.Names(ctx, ref.GVK, ref.Namespace, LabelHookRun+"="+token)
		if err != nil || len(names) == 0 {
			return nil, err
		}
		ref.Name = names[0]
	}
	live, err := e.Cluster.Get(ctx, ref)
	if err != nil || live == nil {
		return nil, err
	}
	if live.GetLabels()[LabelHookRun] == token || (prev.Phase == store.Running && live.GetLabels()[LabelHookRun] == "") {
		return live, nil
	}
	return nil, nil // another run's: BeforeHookCreation replaces it
}
