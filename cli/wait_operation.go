package cli

import (
	"fmt"
	"strings"
)

// judge says whether the wait w is over, why not (or, when over, what it
// let pass), and whether it failed: evaluate's sync and health, then, with
// --operation, that no target's operation is running.
func judge(v appView, w waitOpts) (done bool, reason string, failed bool) {
	if w.sync || w.health {
		if done, reason, failed = evaluate(v, w); !done || failed {
			return done, reason, failed
		}
	}
	if !w.operation {
		return true, reason, false
	}
	running, finished := operationsRunning(v)
	if len(running) > 0 {
		return false, strings.Join(running, "; "), false
	}
	if len(finished) > 0 {
		reason = strings.Join(append(finished, reason), "; ")
	}
	return true, strings.TrimSuffix(reason, "; "), false
}

// operationsRunning lists the targets whose operation is running and
// those whose last operation failed (the wait for operations lets those
// pass, saying so).
func operationsRunning(v appView) (running, failed []string) {
	for _, t := range v.Targets {
		if t.Operation == nil {
			continue
		}
		switch t.Operation.Phase {
		case "Running":
			running = append(running, fmt.Sprintf("%s: operation running (%s)", t.Cluster, orDash(t.Operation.Message)))
		case "Failed":
			failed = append(failed, fmt.Sprintf("operation on %s failed: %s", t.Cluster, t.Operation.Message))
		}
	}
	return running, failed
}
