package agent_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/internal/fakehub"
)

// scaleObjects is how many objects TestScaleRSS manages.
const scaleObjects = 2000

// raceEnabled is set by race_test.go: memory under the race detector means
// nothing.
var raceEnabled bool

// The resident memory of a spoke (its own process) managing 2,000 objects
// with self-heal on: measured after the sync, once its informers hold
// every object and it reported them healthy and synced.
func TestScaleRSS(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("2,000 objects: skipped with -short and -race")
	}
	e := setup(t)
	var b strings.Builder
	for i := range scaleObjects {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\n  labels: {app: scale, shard: %q}\n  annotations: {argocd.argoproj.io/sync-wave: %q}\ndata:\n  index: %q\n  payload: %q\n",
			i, strconv.Itoa(i%10), strconv.Itoa(i%4), strconv.Itoa(i), strings.Repeat("x", 256))
	}
	p := e.plan("scale", b.String(), &pb.PlanOptions{SelfHeal: true}, "")
	spoke := e.spokeProcess("-kube-qps", "500", "-kube-burst", "1000", "-log-level", "warn")
	e.hub.Wait(t, "the spoke connected", 30*time.Second, func(v fakehub.View) bool { return len(v.Hellos()) > 0 })
	idle, idleAnon := rss(t, spoke.Process.Pid), procStatus(t, spoke.Process.Pid, "RssAnon:")
	start := time.Now()
	e.hub.Assign(p, 1)
	e.succeeded("scale", p, 5*time.Minute)
	synced := time.Since(start)
	e.hub.Wait(t, "2,000 objects healthy and synced", 2*time.Minute, func(v fakehub.View) bool {
		h, d := v.Health("scale"), v.Drift("scale")
		return len(h.GetResources()) == scaleObjects && h.GetHealth() == pb.Health_HEALTH_HEALTHY && d.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED
	})
	reported := time.Since(start)
	pid := spoke.Process.Pid
	t.Logf("%d ConfigMaps (4 waves): sync %s, healthy+synced report %s", scaleObjects, synced.Round(time.Millisecond), reported.Round(time.Millisecond))
	t.Logf("spoke RSS: %d MiB idle (%d MiB anonymous), %d MiB managing them (%d MiB anonymous, %d MiB file-backed), peak %d MiB",
		idle>>10, idleAnon>>10, rss(t, pid)>>10, procStatus(t, pid, "RssAnon:")>>10, procStatus(t, pid, "RssFile:")>>10, hwm(t, pid)>>10)
}

// rss returns the process's VmRSS in KiB.
func rss(t *testing.T, pid int) int64 { return procStatus(t, pid, "VmRSS:") }

// hwm returns the process's peak RSS (VmHWM) in KiB.
func hwm(t *testing.T, pid int) int64 { return procStatus(t, pid, "VmHWM:") }

func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
