package controller

import (
	"errors"
	"fmt"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A sync window of the application's project decides whether a target may
// take a new plan now (pkg/rollout.Decide). Automated syncs, released
// gates and rollout steps wait for the window as a pending plan with the
// reason shown; a manual sync or rollback is refused with it.

// ErrSyncWindow is a manual action a sync window refuses.
var ErrSyncWindow = errors.New("blocked by a sync window")

// windowVerdict decides for one target at the controller's clock.
func (c *Controller) windowVerdict(a *pb.Application, cluster string, manual bool) (rollout.Verdict, error) {
	proj, err := c.project(a)
	if err != nil || len(proj.GetSyncWindows()) == 0 {
		return rollout.Verdict{Allowed: true}, err
	}
	ws, err := rollout.ParseWindows(wire.WindowSpecs(proj))
	if err != nil {
		return rollout.Verdict{}, fmt.Errorf("project %s: %w", proj.GetName(), err)
	}
	s := rollout.Subject{Application: a.GetName(), Namespace: a.GetDestination().GetNamespace(), Cluster: cluster}
	return rollout.Decide(ws, s, manual, c.now()), nil
}

// windowHolds says why an automated assignment to cluster waits ("" when
// it may go now) and when to look again: when the window turns, or soon
// when the project's windows cannot be read.
func (c *Controller) windowHolds(a *pb.Application, cluster string) (string, time.Time) {
	v, err := c.windowVerdict(a, cluster, false)
	switch {
	case err != nil:
		return err.Error(), c.now().Add(retryOnError)
	case !v.Allowed:
		return v.Reason, v.Recheck
	}
	return "", time.Time{}
}

// checkManualWindow refuses a manual sync or rollback a window holds.
func (c *Controller) checkManualWindow(a *pb.Application, cluster string) error {
	v, err := c.windowVerdict(a, cluster, true)
	if err != nil {
		return err
	}
	if !v.Allowed {
		return fmt.Errorf("application %s on %s: %w: %s", a.GetName(), cluster, ErrSyncWindow, v.Reason)
	}
	return nil
}
