package validate

import (
	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// validateHistoryLimit refuses a negative revisionHistoryLimit (0 keeps
// the default, store.DefaultHistoryLimit).
func validateHistoryLimit(a *pb.Application) error {
	if n := a.GetRevisionHistoryLimit(); n < 0 {
		return invalid("application %s: revisionHistoryLimit %d: want 0 (the default, %d) or more", a.GetName(), n, store.DefaultHistoryLimit)
	}
	return nil
}
