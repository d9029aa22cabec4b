package cli

import (
	"strings"
	"testing"
)

// A target OutOfSync only because of objects requiring pruning is Synced
// for `app wait`, which says what it let pass; anything else OutOfSync
// still holds the wait.
func TestWaitPassesObjectsRequiringPruning(t *testing.T) {
	kept := resourceView{Kind: "ConfigMap", Name: "kept", Sync: "OutOfSync", Health: "Healthy",
		Message: "requires pruning (Prune=false)", RequiresPruning: true}
	synced := resourceView{Kind: "ConfigMap", Name: "app", Sync: "Synced", Health: "Healthy"}
	drifted := resourceView{Kind: "ConfigMap", Name: "edited", Sync: "OutOfSync", Health: "Healthy"}
	target := func(sync string, rs ...resourceView) appView {
		return appView{Targets: []targetView{{Cluster: "east", Sync: sync, Health: "Healthy", Resources: rs}}}
	}
	tests := map[string]struct {
		v          appView
		w          waitOpts
		done       bool
		reasonHas  string
		reasonNone bool
	}{
		"only requiring pruning": {v: target("OutOfSync", synced, kept), w: waitOpts{sync: true, health: true}, done: true,
			reasonHas: "east: ConfigMap kept (requires pruning (Prune=false))"},
		"also drifted": {v: target("OutOfSync", kept, drifted), w: waitOpts{sync: true}, reasonHas: "east is OutOfSync"},
		// Behind Git with nothing drifted: the hub says OutOfSync for no
		// resource; that is not requiring pruning.
		"out of sync, no resource": {v: target("OutOfSync", synced), w: waitOpts{sync: true}, reasonHas: "east is OutOfSync"},
		"synced":                   {v: target("Synced", synced), w: waitOpts{sync: true}, done: true, reasonNone: true},
		"health only":              {v: target("OutOfSync", kept), w: waitOpts{health: true}, done: true, reasonNone: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			done, reason, failed := evaluate(tc.v, tc.w)
			if done != tc.done || failed || (tc.reasonNone && reason != "") || !strings.Contains(reason, tc.reasonHas) {
				t.Errorf("evaluate = %v, %q, failed %v; want done %v, reason with %q", done, reason, failed, tc.done, tc.reasonHas)
			}
		})
	}
}
