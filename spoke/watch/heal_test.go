package watch

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestChangedBy(t *testing.T) {
	at := func(s int64) *metav1.Time { tm := metav1.NewTime(time.Unix(s, 0)); return &tm }
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetManagedFields([]metav1.ManagedFieldsEntry{
		{Manager: "flotilla", Operation: metav1.ManagedFieldsOperationApply, Time: at(300)},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(400), Subresource: "status"},
		{Manager: "helm", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(100)},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(200)},
	})
	if got := changedBy(u); !strings.HasPrefix(got, "a change by kubectl-edit (Update) at ") {
		t.Errorf("changedBy = %q: want the latest writer of the object itself, not flotilla or a status writer", got)
	}
	if got := changedBy(nil); got != "a deletion" {
		t.Errorf("changedBy(nil) = %q", got)
	}
}

// Heals are queued at once until the object has come back FightHeals times
// right after a heal; then each further heal backs off, one pending heal
// counting once.
func TestFightBackoff(t *testing.T) {
	opts := DefaultOptions()
	w := New(nil, nil, nil, slog.Default(), opts, func(string) {})
	defer w.queue.ShutDown()
	k := Key{Kind: "ConfigMap", Namespace: "ns", Name: "contested"}
	healed := func() { // what heal() records, without a cluster
		w.fights[k] = fight{lastHeal: time.Now(), quick: w.fights[k].quick}
	}
	w.enqueueHealLocked(k) // first drift: nobody healed it yet
	if w.queue.Len() != 1 || w.queue.NumRequeues(k) != 0 {
		t.Fatalf("first drift: queued %d, requeues %d", w.queue.Len(), w.queue.NumRequeues(k))
	}
	got, _ := w.queue.Get()
	w.queue.Done(got)
	for i := 1; i <= 5; i++ {
		healed()
		w.enqueueHealLocked(k)
		w.enqueueHealLocked(k) // a second event of the same drift
		wantBackoff := i >= opts.FightHeals
		requeues := w.queue.NumRequeues(k)
		if wantBackoff != (requeues > 0) || (wantBackoff && requeues != i-opts.FightHeals+1) {
			t.Fatalf("drift %d after a heal: %d requeues (backoff %v)", i, requeues, wantBackoff)
		}
		if !wantBackoff {
			got, _ := w.queue.Get()
			w.queue.Done(got)
		}
	}
	// Quiet for the window after a heal: the next drift is healed at once.
	w.fights[k] = fight{lastHeal: time.Now().Add(-opts.FightWindow - time.Second), quick: 7}
	w.enqueueHealLocked(k)
	if w.fights[k].quick != 0 || w.queue.NumRequeues(k) != 0 {
		t.Fatalf("after a quiet window: %+v, %d requeues", w.fights[k], w.queue.NumRequeues(k))
	}
}
