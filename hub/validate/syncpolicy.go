package validate

import (
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// validateSyncPolicy refuses sync policy values that cannot mean
// anything, naming the field.
func validateSyncPolicy(a *pb.Application) error {
	sp := a.GetSyncPolicy()
	if sp.GetWaveTimeoutSeconds() < 0 {
		return invalid("application %s: syncPolicy.waveTimeoutSeconds %d: want 0 (no limit but the spoke's) or more", a.GetName(), sp.GetWaveTimeoutSeconds())
	}
	r := sp.GetRetry()
	switch {
	case r.GetLimit() < 0:
		return invalid("application %s: syncPolicy.retry.limit %d: want 0 or more", a.GetName(), r.GetLimit())
	case r.GetBackoffSeconds() < 0 || r.GetMaxBackoffSeconds() < 0 || r.GetFactor() < 0:
		return invalid("application %s: syncPolicy.retry backoff: want durations and factor of 0 (the default) or more", a.GetName())
	}
	return nil
}
