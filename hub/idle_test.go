package hub

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// cpuTime is the CPU time this process used so far (user + system).
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A hub with 1,000 applications synced on a connected spoke does nearly
// nothing at rest: no loop lists every application, plan and rollout each
// second; work happens when a report, a commit or a timer asks for it.
func TestIdleHubWithManyApplications(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 applications")
	}
	const apps = 1000
	e := start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.commit("app", map[string]string{"web/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
	st := &fleetStats{}
	spokes := e.fleet(ctx, 1, func(int) map[string]string { return map[string]string{"env": "prod"} }, func(string, *pb.Plan) pb.Health { return pb.Health_HEALTH_HEALTHY }, st)
	go func() { // take every plan the simulated spoke receives
		for {
			select {
			case <-spokes["c000"].plans:
			case <-ctx.Done():
				return
			}
		}
	}()
	client := pb.NewApplicationServiceClient(e.conn)
	for i := range apps {
		_, err := client.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: fmt.Sprintf("app-%04d", i),
			Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "web"}, Destination: &pb.Destination{ClusterSelector: map[string]string{"env": "prod"}, Namespace: fmt.Sprintf("ns-%04d", i)},
			SyncPolicy: &pb.SyncPolicy{Automated: true}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	e.watchUntil("", 3*time.Minute, fmt.Sprintf("%d applications synced", apps), func(last map[string]*pb.TargetStatus) bool {
		synced := 0
		for _, ts := range last {
			if ts.GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED && ts.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_SUCCEEDED {
				synced++
			}
		}
		return synced == apps
	})
	// Reports of the last syncs may still be on their way: rest is when a
	// whole window passes with the hub nearly idle, which must come soon.
	const window = 3 * time.Second
	settle := time.Now()
	for i := 0; ; i++ {
		before := cpuTime(t)
		time.Sleep(window) // measuring rest: nothing is awaited
		used := cpuTime(t) - before
		t.Logf("CPU %s after the last sync with %d applications: %s in %s (%.2f%% of one core)", time.Since(settle).Round(time.Second), apps, used, window, 100*used.Seconds()/window.Seconds())
		if used <= window/50 {
			return
		}
		if i == 10 {
			t.Fatalf("the hub never came to rest with %d applications: %s of CPU in the last %s", apps, used, window)
		}
	}
}
