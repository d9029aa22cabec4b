package controller

import (
	"errors"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A desired state the store cannot read fails the target's planning: the
// last good plan stays, the target shows the error, and no plan is
// offered (a plan made without the previous inventory would prune nothing
// and forget what runs; behind an approval gate it would wait as pending
// and be assigned once approved). Once the record reads again, the next
// plan prunes what Git dropped meanwhile.
func TestUnreadableDesiredFailsPlanning(t *testing.T) {
	e := newGitEnv(t, "east")
	e.commit("two", map[string]string{"web/a.yaml": configMap("a", "1"), "web/b.yaml": configMap("b", "1")})
	e.app("web", "web", func(a *pb.Application) { a.SyncPolicy.Approval = "required" }, "east")
	e.reconcile("web")
	if _, err := e.c.Approve("web", nil, true); err != nil {
		t.Fatal(err)
	}
	before, err := e.st.GetDesired("web", "east")
	if err != nil || len(before.Inventory) != 2 {
		t.Fatalf("first plan: %+v %v", before, err)
	}
	e.commit("drop b", map[string]string{"web/b.yaml": ""})

	var saved []byte
	key := []byte("web/east")
	e.edit(func(tx *bolt.Tx) error {
		saved = append([]byte(nil), tx.Bucket([]byte("desired")).Get(key)...)
		return tx.Bucket([]byte("desired")).Put(key, []byte(`{"planHash": 7`))
	})
	e.reconcile("web")
	if p, err := e.st.GetPending("web", "east"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a plan pends from an unreadable desired state (prunes %v, err %v), want none", pruned(t, e.st, p.PlanHash), err)
	}
	if h, err := e.st.ListHistory("web", "east"); err != nil || len(h) != 1 {
		t.Errorf("history %d entries (%v), want the first assignment only", len(h), err)
	}
	ts, err := e.st.GetTarget("web", "east")
	if err != nil || !strings.Contains(ts.GetError(), "previous inventory") {
		t.Errorf("target error %q (%v), want the store error shown", ts.GetError(), err)
	}

	e.edit(func(tx *bolt.Tx) error { return tx.Bucket([]byte("desired")).Put(key, saved) })
	e.reconcile("web")
	p, err := e.st.GetPending("web", "east")
	if err != nil {
		t.Fatalf("after repair: no pending plan: %v", err)
	}
	if got := pruned(t, e.st, p.PlanHash); !slices.Equal(got, []string{"b"}) {
		t.Errorf("pending plan prunes %v, want [b]: the inventory survived the failed read", got)
	}
}

// pruned names the objects a stored plan prunes.
func pruned(t *testing.T, st *store.Store, hash string) []string {
	t.Helper()
	p, err := st.GetPlan(hash)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range p.GetSteps() {
		for _, a := range s.GetActions() {
			if a.GetAction() == pb.ActionType_ACTION_TYPE_PRUNE {
				out = append(out, a.GetName())
			}
		}
	}
	return out
}
