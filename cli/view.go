package cli

import (
	"encoding/json"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// The JSON shapes of `app get -o json`: stable, for scripts.
type appView struct {
	Name    string       `json:"name"`
	Project string       `json:"project,omitempty"`
	Repo    string       `json:"repo"`
	Path    string       `json:"path"`
	Targets []targetView `json:"targets"`
	// Spec is the whole application as the API has it (protojson).
	Spec       json.RawMessage `json:"spec,omitempty"`
	Conditions []conditionView `json:"conditions,omitempty"`
	// Parent is the application that declares this one (app of apps);
	// ApplicationSet the set that generated it; DeclaredIn where Git
	// declares it. Warnings are fields of the declaration not honoured.
	Parent         string   `json:"parent,omitempty"`
	ApplicationSet string   `json:"applicationSet,omitempty"`
	DeclaredIn     string   `json:"declaredIn,omitempty"`
	Warnings       []string `json:"warnings,omitempty"`
}

type conditionView struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Cluster string `json:"cluster,omitempty"`
}

type targetView struct {
	Cluster   string         `json:"cluster"`
	Revision  string         `json:"revision"`
	Sync      string         `json:"sync"`
	Health    string         `json:"health"`
	Operation *operationView `json:"operation,omitempty"`
	Error     string         `json:"error,omitempty"`
	// Waiting says why the newest plan is not assigned yet (approval,
	// rollout step, sync window, dependency) and PendingPlan which it is.
	Waiting     string         `json:"waiting,omitempty"`
	PendingPlan string         `json:"pendingPlan,omitempty"`
	Resources   []resourceView `json:"resources"`
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
	Hook       bool   `json:"hook,omitempty"`
	// RequiresPruning: live, no longer in Git, kept (prune off, Prune=false
	// or waiting for confirmation).
	RequiresPruning bool `json:"requiresPruning,omitempty"`
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
	first := wire.Sources(a)[0] // the others are in spec
	v := appView{Name: a.GetName(), Project: a.GetProject(), Repo: first.GetRepoUrl(), Path: first.GetPath(), Targets: []targetView{}}
	if b, err := protojson.Marshal(a); err == nil {
		v.Spec = b
	}
	switch m := a.GetManagedBy(); m.GetKind() {
	case "Application":
		v.Parent = m.GetName()
	case "ApplicationSet":
		v.ApplicationSet = m.GetName()
	}
	v.DeclaredIn, v.Warnings = declaredIn(a.GetManagedBy()), a.GetWarnings()
	for _, c := range r.GetConditions() {
		v.Conditions = append(v.Conditions, conditionView{Type: c.GetType(), Message: c.GetMessage(), Cluster: c.GetCluster()})
	}
	for _, t := range r.GetTargets() {
		tv := targetView{Cluster: t.GetCluster(), Revision: t.GetRevision(), Sync: syncName(t.GetSync()), Health: healthName(t.GetHealth()),
			Error: t.GetError(), Waiting: t.GetWaiting(), PendingPlan: t.GetPendingPlanHash(), Resources: []resourceView{}}
		if op := t.GetOperation(); op != nil && op.GetPhase() != pb.OperationPhase_OPERATION_PHASE_UNSPECIFIED {
			tv.Operation = &operationView{Phase: phaseName(op.GetPhase()), Message: op.GetMessage(), Step: op.GetStep(), Steps: op.GetTotalSteps()}
		}
		for _, rs := range t.GetResources() {
			ref := rs.GetRef()
			tv.Resources = append(tv.Resources, resourceView{APIVersion: ref.GetApiVersion(), Kind: ref.GetKind(), Namespace: ref.GetNamespace(),
				Name: ref.GetName(), Sync: syncName(rs.GetSync()), Health: healthName(rs.GetHealth()), Message: rs.GetMessage(),
				Hook: rs.GetHook(), RequiresPruning: rs.GetRequiresPruning()})
		}
		v.Targets = append(v.Targets, tv)
	}
	sort.Slice(v.Targets, func(i, j int) bool { return v.Targets[i].Cluster < v.Targets[j].Cluster })
	return v
}
