package cli

import (
	"strings"
	"testing"
)

// `app wait --operation` ends once no target's operation is running,
// whatever its result; with --sync it still fails on a failed sync.
func TestWaitOperation(t *testing.T) {
	op := func(phase, msg string) *operationView { return &operationView{Phase: phase, Message: msg} }
	app := func(ts ...targetView) appView { return appView{Targets: ts} }
	running := targetView{Cluster: "east", Sync: "OutOfSync", Health: "Progressing", Operation: op("Running", "wave 1 of 2")}
	failed := targetView{Cluster: "west", Sync: "OutOfSync", Health: "Degraded", Operation: op("Failed", "Deployment web: timed out")}
	ok := targetView{Cluster: "north", Sync: "Synced", Health: "Healthy", Operation: op("Succeeded", "")}
	none := targetView{Cluster: "south", Sync: "OutOfSync", Health: "Missing"}
	tests := map[string]struct {
		v                    appView
		w                    waitOpts
		done, failed         bool
		reasonHas, reasonNot string
	}{
		"running holds":            {v: app(running, ok), w: waitOpts{operation: true}, reasonHas: "east: operation running (wave 1 of 2)"},
		"finished, one failed":     {v: app(failed, ok, none), w: waitOpts{operation: true}, done: true, reasonHas: "operation on west failed: Deployment web"},
		"all succeeded":            {v: app(ok), w: waitOpts{operation: true}, done: true, reasonNot: "failed"},
		"no operation at all":      {v: app(none), w: waitOpts{operation: true}, done: true},
		"with sync, failed fails":  {v: app(failed), w: waitOpts{operation: true, sync: true}, failed: true, reasonHas: "sync failed on west"},
		"with health, running":     {v: app(targetView{Cluster: "east", Sync: "Synced", Health: "Healthy", Operation: op("Running", "")}), w: waitOpts{operation: true, health: true}, reasonHas: "east: operation running"},
		"without operation passes": {v: app(targetView{Cluster: "east", Sync: "Synced", Health: "Healthy", Operation: op("Running", "")}), w: waitOpts{health: true}, done: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			done, reason, failed := judge(tc.v, tc.w)
			if done != tc.done || failed != tc.failed || !strings.Contains(reason, tc.reasonHas) || (tc.reasonNot != "" && strings.Contains(reason, tc.reasonNot)) {
				t.Errorf("judge = %v, %q, failed %v; want done %v, failed %v, reason with %q", done, reason, failed, tc.done, tc.failed, tc.reasonHas)
			}
		})
	}
}
