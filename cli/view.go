package cli

import (
	"sort"
	"strings"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// The JSON shapes of `app get -o json`: stable, for scripts.
type appView struct {
	Name    string       `json:"name"`
	Project string       `json:"project,omitempty"`
	Repo    string       `json:"repo"`
	Path    string       `json:"path"`
	Targets []targetView `json:"targets"`
}

type targetView struct {
	Cluster   string         `json:"cluster"`
	Revision  string         `json:"revision"`
	Sync      string         `json:"sync"`
	Health    string         `json:"health"`
	Operation *operationView `json:"operation,omitempty"`
	Error     string         `json:"error,omitempty"`
	Resources []resourceView `json:"resources"`
}

type operationView struct {
	Phase   string `json:"phase"`
	Message string `json:"message"`
	Step    int32  `json:"step,omitempty"`
	Steps   int32  `json:"steps,omitempty"`
}

type resourceView struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Sync       string `json:"sync"`
	Health     string `json:"health"`
	Message    string `json:"message"`
}

func syncName(s pb.SyncStatus) string {
	switch s {
	case pb.SyncStatus_SYNC_STATUS_SYNCED:
		return "Synced"
	case pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC:
		return "OutOfSync"
	}
	return "Unknown"
}

func healthName(h pb.Health) string {
	if h == pb.Health_HEALTH_UNSPECIFIED {
		return "Unknown"
	}
	return enumName(h.String(), "HEALTH_")
}

func phaseName(p pb.OperationPhase) string {
	if p == pb.OperationPhase_OPERATION_PHASE_UNSPECIFIED {
		return ""
	}
	return enumName(p.String(), "OPERATION_PHASE_")
}

// enumName turns HEALTH_HEALTHY into Healthy.
func enumName(s, prefix string) string {
	words := strings.Split(strings.TrimPrefix(s, prefix), "_")
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + strings.ToLower(w[1:])
	}
	return strings.Join(words, "")
}

func viewApp(r *pb.GetApplicationResponse) appView {
	a := r.GetApplication()
	v := appView{Name: a.GetName(), Project: a.GetProject(), Repo: a.GetSource().GetRepoUrl(), Path: a.GetSource().GetPath(), Targets: []targetView{}}
	for _, t := range r.GetTargets() {
		tv := targetView{Cluster: t.GetCluster(), Revision: t.GetRevision(), Sync: syncName(t.GetSync()), Health: healthName(t.GetHealth()),
			Error: t.GetError(), Resources: []resourceView{}}
		if op := t.GetOperation(); op != nil && op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_UNSPECIFIED {
			tv.Operation = &operationView{Phase: phaseName(op.GetPhase()), Message: op.GetMessage(), Step: op.GetStep(), Steps: op.GetTotalSteps()}
		}
		for _, rs := range t.GetResources() {
			ref := rs.GetRef()
			tv.Resources = append(tv.Resources, resourceView{APIVersion: ref.GetApiVersion(), Kind: ref.GetKind(), Namespace: ref.GetNamespace(),
				Name: ref.GetName(), Sync: syncName(rs.GetSync()), Health: healthName(rs.GetHealth()), Message: rs.GetMessage()})
		}
		v.Targets = append(v.Targets, tv)
	}
	sort.Slice(v.Targets, func(i, j int) bool { return v.Targets[i].Cluster < v.Targets[j].Cluster })
	return v
}
