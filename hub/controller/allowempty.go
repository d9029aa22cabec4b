package controller

import (
	"fmt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// emptyRefusal says why automated sync must not assign p ("" when it
// may): the source renders nothing and the plan would prune every object
// the target runs. Argo CD's guard against a broken source wiping out an
// application; syncPolicy.allowEmpty lifts it, and a manual sync is never
// held by it.
func emptyRefusal(a *pb.Application, p *pb.Plan) string {
	if a.GetSyncPolicy().GetAllowEmpty() {
		return ""
	}
	prunes := 0
	for _, st := range p.GetSteps() {
		for _, act := range st.GetActions() {
			if act.GetAction() != pb.ActionType_ACTION_TYPE_PRUNE {
				return ""
			}
			prunes++
		}
	}
	if prunes == 0 {
		return ""
	}
	return fmt.Sprintf("automated sync refused: the source renders no objects and the plan would prune all %d the target runs "+
		"(set syncPolicy.allowEmpty to allow it, or sync by hand)", prunes)
}
