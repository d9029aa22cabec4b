// Package wire converts between the engine's types (pkg/plan, pkg/health,
// pkg/diff) and the gRPC API (proto/flotilla/v1). Shared by hub and spoke,
// which never import each other.
package wire

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	"github.com/flotilla-gitops/flotilla/pkg/health"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	"github.com/flotilla-gitops/flotilla/pkg/plan"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

var phaseToPB = map[plan.Phase]pb.Phase{
	plan.PreSync: pb.Phase_PHASE_PRE_SYNC, plan.Sync: pb.Phase_PHASE_SYNC,
	plan.PostSync: pb.Phase_PHASE_POST_SYNC, plan.SyncFail: pb.Phase_PHASE_SYNC_FAIL,
}

var actionToPB = map[plan.ActionType]pb.ActionType{
	plan.Apply: pb.ActionType_ACTION_TYPE_APPLY, plan.Hook: pb.ActionType_ACTION_TYPE_HOOK, plan.Prune: pb.ActionType_ACTION_TYPE_PRUNE,
}

// PhaseToPB converts a phase.
func PhaseToPB(p plan.Phase) pb.Phase { return phaseToPB[p] }

// PhaseFromPB converts a phase back.
func PhaseFromPB(p pb.Phase) plan.Phase { return phaseFromPB[p] }

// ActionToPB converts an action type.
func ActionToPB(a plan.ActionType) pb.ActionType { return actionToPB[a] }

// The reverse tables, built once.
var (
	phaseFromPB  = reverse(phaseToPB)
	actionFromPB = reverse(actionToPB)
	healthFromPB = reverse(healthToPB)
)

func reverse[K, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// PlanToProto encodes a plan with its objects (by content hash). Prune
// actions carry the live object's identity only.
func PlanToProto(p *plan.Plan) (*pb.Plan, error) {
	out := &pb.Plan{Hash: p.Hash, Objects: map[string][]byte{}}
	for _, s := range p.Steps {
		st := &pb.PlanStep{Phase: phaseToPB[s.Phase], Wave: int32(s.Wave)}
		for _, a := range s.Actions {
			pa := &pb.PlanAction{Action: actionToPB[a.Action], ApiVersion: a.APIVersion, Kind: a.Kind,
				Namespace: a.Namespace, Name: a.Name, GenerateName: a.GenerateName, ObjectHash: a.Hash, AutoCreated: a.AutoCreated}
			for _, d := range a.DeletePolicies {
				pa.DeletePolicies = append(pa.DeletePolicies, string(d))
			}
			if a.Action != plan.Prune {
				if _, ok := out.Objects[a.Hash]; !ok {
					b, err := json.Marshal(a.Object.Object)
					if err != nil {
						return nil, fmt.Errorf("%s: encode: %w", object.Describe(a.Object), err)
					}
					out.Objects[a.Hash] = b
				}
			}
			st.Actions = append(st.Actions, pa)
		}
		out.Steps = append(out.Steps, st)
	}
	for _, r := range p.Extraneous {
		out.Extraneous = append(out.Extraneous, &pb.ExtraneousObject{Reason: r.Reason,
			Ref: &pb.ObjectRef{ApiVersion: r.APIVersion, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}})
	}
	return out, nil
}

// PlanFromProto decodes a plan, checking every object against its content
// hash so a spoke never applies something other than what was planned.
func PlanFromProto(in *pb.Plan) (*plan.Plan, error) {
	objs := map[string]*unstructured.Unstructured{}
	for h, b := range in.GetObjects() {
		// Decoded as the Kubernetes decoder does (integers as int64), the
		// object re-encodes to the canonical JSON its hash was taken of.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("plan %s: object %s: %w", short(in.GetHash()), short(h), err)
		}
		got, err := object.Hash(u)
		if err != nil {
			return nil, fmt.Errorf("plan %s: object %s: %w", short(in.GetHash()), short(h), err)
		}
		if got != h {
			return nil, fmt.Errorf("plan %s: object %s: content hash mismatch (%s)", short(in.GetHash()), short(h), short(got))
		}
		objs[h] = u
	}
	out := &plan.Plan{Hash: in.GetHash()}
	for _, st := range in.GetSteps() {
		s := plan.Step{Phase: PhaseFromPB(st.GetPhase()), Wave: int(st.GetWave())}
		if s.Phase == "" {
			return nil, fmt.Errorf("plan %s: unknown phase %v", short(in.GetHash()), st.GetPhase())
		}
		for _, pa := range st.GetActions() {
			a := plan.Action{Action: actionFromPB[pa.GetAction()], APIVersion: pa.GetApiVersion(), Kind: pa.GetKind(),
				Namespace: pa.GetNamespace(), Name: pa.GetName(), GenerateName: pa.GetGenerateName(), Hash: pa.GetObjectHash(), AutoCreated: pa.GetAutoCreated()}
			for _, d := range pa.GetDeletePolicies() {
				a.DeletePolicies = append(a.DeletePolicies, plan.DeletePolicy(d))
			}
			switch a.Action {
			case plan.Apply, plan.Hook:
				u, ok := objs[a.Hash]
				if !ok {
					return nil, fmt.Errorf("plan %s: %s %s/%s: object %s missing", short(in.GetHash()), a.Kind, a.Namespace, a.Name, short(a.Hash))
				}
				a.Object = u
			case plan.Prune:
				u := &unstructured.Unstructured{}
				u.SetAPIVersion(a.APIVersion)
				u.SetKind(a.Kind)
				u.SetNamespace(a.Namespace)
				u.SetName(a.Name)
				a.Object = u
			default:
				return nil, fmt.Errorf("plan %s: unknown action %v", short(in.GetHash()), pa.GetAction())
			}
			s.Actions = append(s.Actions, a)
		}
		out.Steps = append(out.Steps, s)
	}
	for _, x := range in.GetExtraneous() {
		r := x.GetRef()
		out.Extraneous = append(out.Extraneous, plan.Ref{APIVersion: r.GetApiVersion(), Kind: r.GetKind(), Namespace: r.GetNamespace(), Name: r.GetName(), Reason: x.GetReason()})
	}
	return out, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

var healthToPB = map[health.Status]pb.Health{
	health.Healthy: pb.Health_HEALTH_HEALTHY, health.Progressing: pb.Health_HEALTH_PROGRESSING,
	health.Degraded: pb.Health_HEALTH_DEGRADED, health.Suspended: pb.Health_HEALTH_SUSPENDED,
	health.Missing: pb.Health_HEALTH_MISSING, health.Unknown: pb.Health_HEALTH_UNKNOWN,
}

// HealthToPB converts a health status.
func HealthToPB(s health.Status) pb.Health { return healthToPB[s] }

// HealthFromPB converts a health status back ("" when unspecified).
func HealthFromPB(h pb.Health) health.Status { return healthFromPB[h] }

// IgnoreToPB converts ignoreDifferences rules.
func IgnoreToPB(rules []diff.IgnoreRule) []*pb.IgnoreDifference {
	out := make([]*pb.IgnoreDifference, 0, len(rules))
	for _, r := range rules {
		out = append(out, &pb.IgnoreDifference{Group: r.Group, Kind: r.Kind, Name: r.Name, Namespace: r.Namespace,
			JsonPointers: r.JSONPointers, JqPathExpressions: r.JQPathExpressions, ManagedFieldsManagers: r.ManagedFieldsManagers})
	}
	return out
}

// IgnoreFromPB converts ignoreDifferences rules back.
func IgnoreFromPB(in []*pb.IgnoreDifference) []diff.IgnoreRule {
	out := make([]diff.IgnoreRule, 0, len(in))
	for _, r := range in {
		out = append(out, diff.IgnoreRule{Group: r.GetGroup(), Kind: r.GetKind(), Name: r.GetName(), Namespace: r.GetNamespace(),
			JSONPointers: r.GetJsonPointers(), JQPathExpressions: r.GetJqPathExpressions(), ManagedFieldsManagers: r.GetManagedFieldsManagers()})
	}
	return out
}
