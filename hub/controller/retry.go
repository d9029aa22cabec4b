package controller

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// A failed sync is retried with backoff as syncPolicy.retry allows (Argo
// CD's retry). The count and the time of the next attempt are kept on
// the target's operation in the store: a hub restarted in the middle of
// a backoff picks them up.

// terminatedPrefix starts the message a spoke reports for a sync stopped
// by TerminateOperation ("terminated by user:alice"; the spoke's
// executor.TerminatedPrefix, the protocol's word for it).
const terminatedPrefix = "terminated by "

// Terminated reports whether op is a sync stopped by TerminateOperation.
// Such an operation is never retried: whoever terminated it wanted it
// stopped; a new sync (by hand, or of a new plan) starts afresh.
func Terminated(op *pb.Operation) bool {
	return op.GetPhase() == pb.OperationPhase_OPERATION_PHASE_FAILED && strings.HasPrefix(op.GetMessage(), terminatedPrefix)
}

// RetryLeft reports whether a sync that failed after count retries is
// retried again: a limit below 0 retries without end (Argo CD's -1).
func RetryLeft(r *pb.RetryPolicy, count int32) bool {
	return r.GetLimit() < 0 || count < r.GetLimit()
}

// retryFailed schedules or runs the retries of a's failed targets.
func (c *Controller) retryFailed(a *pb.Application, w *wakeup) error {
	r := a.GetSyncPolicy().GetRetry()
	if r.GetLimit() == 0 {
		return nil
	}
	ts, err := c.store.ListTargets(a.GetName())
	if err != nil {
		return err
	}
	var errs []error // one target's trouble holds back no other's retry
	for _, t := range ts {
		if err := c.retryTarget(a, t, r, w); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// retryTarget schedules or runs the retry of one failed target.
func (c *Controller) retryTarget(a *pb.Application, t *pb.TargetStatus, r *pb.RetryPolicy, w *wakeup) error {
	op := t.GetOperation()
	if op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_FAILED || !RetryLeft(r, op.GetRetryCount()) || Terminated(op) {
		return nil
	}
	d, err := c.store.GetDesired(a.GetName(), t.GetCluster())
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.PlanHash != op.GetPlanHash()) {
		return nil // no plan, or a newer plan superseded the failed one
	} else if err != nil {
		return err
	}
	due, err := c.retryDue(a, t, r)
	if err != nil {
		return err
	}
	if due.After(c.now()) {
		w.by(due)
		return nil
	}
	return c.retry(a, t.GetCluster(), d, op.GetRetryCount()+1)
}

// retryDue returns when a failed target is retried, recording it on the
// target the first time.
func (c *Controller) retryDue(a *pb.Application, t *pb.TargetStatus, r *pb.RetryPolicy) (time.Time, error) {
	if at := t.GetOperation().GetNextRetryAt(); at != nil {
		return at.AsTime(), nil
	}
	delay := RetryDelay(r, int(t.GetOperation().GetRetryCount()))
	due := c.now().Add(delay)
	ts, err := c.store.UpdateTarget(a.GetName(), t.GetCluster(), func(ts *pb.TargetStatus) {
		if ts.GetOperation().GetPlanHash() == t.GetOperation().GetPlanHash() && ts.GetOperation().GetPhase() == pb.OperationPhase_OPERATION_PHASE_FAILED {
			ts.Operation.NextRetryAt = timestamppb.New(due)
		}
	})
	if err != nil {
		return time.Time{}, err
	}
	c.log.Info("sync failed; retrying", "app", a.GetName(), "cluster", t.GetCluster(), "attempt", t.GetOperation().GetRetryCount()+1,
		"limit", r.GetLimit(), "after", delay)
	c.notify.TargetUpdated(ts)
	return due, nil
}

// retry assigns the failed plan again.
func (c *Controller) retry(a *pb.Application, cluster string, d store.Desired, attempt int32) error {
	p, err := c.store.GetPlan(d.PlanHash)
	if err != nil {
		return err
	}
	t := target{cluster: &pb.Cluster{Name: cluster}, revision: d.Revision, plan: p, content: d.ContentHash, inventory: d.Inventory, retry: attempt}
	return c.assign(a, t, fmt.Sprintf("retry %d", attempt))
}

// RetryDelay is backoff × factor^attempt, capped (Argo CD's defaults: 5s,
// 2, 3m).
func RetryDelay(r *pb.RetryPolicy, attempt int) time.Duration {
	base := time.Duration(r.GetBackoffSeconds()) * time.Second
	if base <= 0 {
		base = 5 * time.Second
	}
	factor := int64(r.GetFactor())
	if factor <= 0 {
		factor = 2
	}
	limit := time.Duration(r.GetMaxBackoffSeconds()) * time.Second
	if limit <= 0 {
		limit = 3 * time.Minute
	}
	d := base
	for range attempt {
		d *= time.Duration(factor)
		if d >= limit {
			return limit
		}
	}
	return min(d, limit)
}
