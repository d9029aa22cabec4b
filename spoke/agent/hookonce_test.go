package agent_test

import (
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/fault"
)

// A hook runs at most once per sync, across restarts: the spoke killed at
// each point of a hook's life (before it is created, right after, while
// it runs, once it finished) and started again creates each hook once, a
// named one and a generateName one, and the sync succeeds.
func TestHookRunsOnceAcrossKills(t *testing.T) {
	for _, point := range []string{"hook-before-create", "hook-after-create", "hook-running", "hook-finished"} {
		t.Run(point, func(t *testing.T) {
			e := setup(t)
			rec := e.record(gvrJob)
			p := e.plan("once", job("migrate", "", "PreSync", "", "", false)+job("", "seed-", "PreSync", "", "", false)+cm("app", "0"), nil, "")
			e.hub.Assign(p, 1)
			killed := e.spokeProcessEnv([]string{fault.Env + "=" + point})
			exited := make(chan error, 1)
			go func() { exited <- killed.Wait() }()
			select {
			case err := <-exited:
				if err == nil || !strings.Contains(err.Error(), "killed") {
					t.Fatalf("the spoke stopped with %v, want killed at %s", err, point)
				}
			case <-time.After(time.Minute):
				t.Fatalf("the spoke did not reach %s within a minute", point)
			}
			e.spokeProcess()
			e.succeeded("once", p, time.Minute)
			for _, prefix := range []string{"migrate", "seed-"} {
				if n := rec.count(addedPrefix("Job", prefix)); n != 1 {
					t.Errorf("%d %s Jobs created, want 1", n, prefix)
				}
			}
		})
	}
}
