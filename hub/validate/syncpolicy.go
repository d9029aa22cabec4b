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
	// A retry limit below 0 retries without end, as Argo CD's -1.
	if r := sp.GetRetry(); r.GetBackoffSeconds() < 0 || r.GetMaxBackoffSeconds() < 0 || r.GetFactor() < 0 {
		return invalid("application %s: syncPolicy.retry backoff: want durations and factor of 0 (the default) or more", a.GetName())
	}
	return nil
}
