package fakehub

import (
	"testing"
	"time"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// View is what the hub received, read under its lock.
type View struct{ h *Hub }

// Progress returns the application's latest progress report, or nil.
func (v View) Progress(app string) *pb.SyncProgress {
	ps := v.h.progress[app]
	if len(ps) == 0 {
		return nil
	}
	return ps[len(ps)-1]
}

// ProgressHistory returns every progress report of the application.
func (v View) ProgressHistory(app string) []*pb.SyncProgress { return v.h.progress[app] }

// Finished returns the latest progress of the plan if its operation
// finished (Succeeded or Failed), else nil.
func (v View) Finished(app, planHash string) *pb.SyncProgress {
	p := v.Progress(app)
	if p == nil || p.GetPlanHash() != planHash {
		return nil
	}
	switch p.GetOperation().GetPhase() {
	case pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, pb.OperationPhase_OPERATION_PHASE_FAILED:
		return p
	}
	return nil
}

// Health returns the application's latest health report, or nil.
func (v View) Health(app string) *pb.HealthReport { return v.h.health[app] }

// Drift returns the application's latest drift report, or nil.
func (v View) Drift(app string) *pb.DriftReport {
	ds := v.h.drift[app]
	if len(ds) == 0 {
		return nil
	}
	return ds[len(ds)-1]
}

// DriftHistory returns every drift report of the application.
func (v View) DriftHistory(app string) []*pb.DriftReport { return v.h.drift[app] }

// Acks returns every ack received.
func (v View) Acks() []*pb.PlanAck { return v.h.acks }

// Hellos returns every Hello received, one per stream.
func (v View) Hellos() []*pb.Hello { return v.h.hellos }

// Discoveries returns every DiscoveryReport received.
func (v View) Discoveries() []*pb.DiscoveryReport { return v.h.kinds }

// Refused is how many streams were refused for a bad token.
func (v View) Refused() int { return v.h.refused }

// Connected reports whether a spoke stream is open.
func (v View) Connected() bool { return v.h.stream != nil }

// Wait blocks until cond holds over what the hub received, re-checking it
// on every report, and fails the test after timeout. It returns the time
// cond first held.
func (h *Hub) Wait(t testing.TB, what string, timeout time.Duration, cond func(View) bool) time.Time {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		ok := cond(View{h})
		ch := h.changed
		h.mu.Unlock()
		if ok {
			return time.Now()
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("fake hub: no %s within %s", what, timeout)
		}
	}
}

// Read runs fn over what the hub received.
func (h *Hub) Read(fn func(View)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(View{h})
}
