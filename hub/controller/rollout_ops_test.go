package controller

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Steering a rollout past its last step (a finished rollout, or one whose
// step index a bug moved on) is refused by name, not a panic.
func TestSteerFinishedRollout(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &Controller{store: st, now: time.Now, log: slog.New(slog.NewTextHandler(io.Discard, nil)), work: newWorkQueue()}
	for name, r := range map[string]*pb.Rollout{
		"completed": {Phase: pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, Step: 1, Steps: []*pb.RolloutStepStatus{{Name: "all", State: "Succeeded"}}},
		"paused":    {Phase: pb.RolloutPhase_ROLLOUT_PHASE_PAUSED, Step: 1, Steps: []*pb.RolloutStepStatus{{Name: "all", State: "Succeeded"}}},
		"halted":    {Phase: pb.RolloutPhase_ROLLOUT_PHASE_HALTED, Step: 2, Steps: []*pb.RolloutStepStatus{{Name: "all", State: "Succeeded"}}},
	} {
		r.Application = name
		if err := st.PutRollout(r); err != nil {
			t.Fatal(err)
		}
		for _, act := range []rollout.Action{rollout.Approve, rollout.Resume} {
			_, err := c.SteerRollout(name, act)
			if err == nil || !strings.Contains(err.Error(), "rollout of "+name) {
				t.Errorf("%s %s: err %v, want a refusal naming the rollout", act, name, err)
			}
		}
	}
}
