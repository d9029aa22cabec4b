package controller

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// SteerRollout applies a user's command (pkg/rollout.Steer) to an
// application's rollout.
func (c *Controller) SteerRollout(app string, act rollout.Action) (*pb.Rollout, error) {
	unlock := c.lockApp(app)
	defer unlock()
	r, err := c.store.GetRollout(app)
	if err != nil {
		return nil, err
	}
	n, err := rollout.Steer(wire.RolloutFromPB(r), act)
	if err != nil {
		return nil, err
	}
	next := wire.RolloutToPB(n, r)
	next.UpdatedAt = timestamppb.New(c.now())
	if err := c.store.PutRollout(next); err != nil {
		return nil, err
	}
	c.log.Info("rollout "+string(act), "app", app)
	c.work.Add(app)
	return next, nil
}
