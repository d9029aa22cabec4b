package controller

import (
	"context"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A hard refresh renders again on the same commit, whatever is kept in
// memory or in the store; a plain refresh re-uses the kept render, and so
// do the reconciles after a hard refresh.
func TestHardRefreshRendersAgain(t *testing.T) {
	e := newGitEnv(t, "east", "west")
	e.commit("web", map[string]string{"web/cm.yaml": configMap("web", "1")})
	e.app("web", "web", nil, "east", "west")
	keys, err := e.c.appRenderKeys("web")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	distinct := len(slices.Compact(keys))
	e.reconcile("web")
	renders := func() int {
		n, _, _ := e.c.Stats.Snapshot()
		return n
	}
	first := renders()
	if first != distinct {
		t.Fatalf("first reconcile ran %d renders, want %d (one per distinct input)", first, distinct)
	}
	e.reconcile("web")
	if n := renders(); n != first {
		t.Fatalf("a plain refresh on the same commit rendered (%d renders, want %d)", n, first)
	}
	hard := func() {
		t.Helper()
		if err := e.c.HardRefresh(context.Background(), "web"); err != nil {
			t.Fatal(err)
		}
	}
	hard()
	if n := renders(); n != first+distinct {
		t.Fatalf("hard refresh: %d renders, want %d: a render ran again for each input", n, first+distinct)
	}
	e.reconcile("web")
	if n := renders(); n != first+distinct {
		t.Errorf("the reconcile after a hard refresh rendered again (%d renders)", n)
	}

	// A new controller (a restarted hub) re-uses the render in the store;
	// a hard refresh does not.
	e.offline(func(*bolt.DB) error { return nil })
	e.reconcile("web")
	if n := renders(); n != 0 {
		t.Fatalf("after a restart a refresh rendered %d times, want the stored render re-used", n)
	}
	hard()
	if n := renders(); n != distinct {
		t.Errorf("hard refresh after a restart: %d renders, want %d", n, distinct)
	}
}
