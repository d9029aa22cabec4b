package executor

import (
	"time"

	"github.com/flotilla-gitops/flotilla/spoke/store"
)

// TerminatedPrefix starts the message of a run ended by TerminateOperation
// ("terminated by user:alice"). The hub reads it: a terminated operation
// is never retried (hub/controller/retry.go keeps the same prefix).
const TerminatedPrefix = "terminated by "

// Terminate ends t's run as Failed, "terminated by <by>", saves and
// reports it. The caller has stopped the run: nothing else writes t.
// SyncFail hooks do not run (Argo CD's terminate runs none either), and
// the run, saved Failed, is not resumed by a restarted spoke nor run
// again when the hub resends the same generation.
func (e *Executor) Terminate(t *Target, by string) error {
	t.mu.Lock()
	t.Run.Phase, t.Run.Failing, t.Run.FinishedAt = store.Failed, false, time.Now().UTC()
	t.Run.Message = TerminatedPrefix + by
	t.mu.Unlock()
	e.log(t).Info("sync terminated", "by", by)
	if err := e.save(t); err != nil {
		return err
	}
	e.report(t)
	return nil
}
