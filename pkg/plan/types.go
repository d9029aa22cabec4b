package plan

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// Phase is a sync phase.
type Phase string

// Phases, in execution order. SyncFail steps run only when a sync fails.
const (
	PreSync  Phase = "PreSync"
	Sync     Phase = "Sync"
	PostSync Phase = "PostSync"
	SyncFail Phase = "SyncFail"
)

var phaseOrder = map[Phase]int{PreSync: 0, Sync: 1, PostSync: 2, SyncFail: 3}

// ActionType says what a step does with an object.
type ActionType string

// Actions: apply a resource, run a hook (create, wait for completion,
// delete per policy), prune a resource no longer in Git.
const (
	Apply ActionType = "apply"
	Hook  ActionType = "hook"
	Prune ActionType = "prune"
)

// DeletePolicy says when a hook object is deleted.
type DeletePolicy string

// Hook delete policies (Argo CD names; Helm's are mapped onto them).
const (
	HookSucceeded      DeletePolicy = "HookSucceeded"
	HookFailed         DeletePolicy = "HookFailed"
	BeforeHookCreation DeletePolicy = "BeforeHookCreation"
)

// Action is one object's part in a step.
type Action struct {
	Action         ActionType     `json:"action"`
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Namespace      string         `json:"namespace"`
	Name           string         `json:"name"`
	GenerateName   string         `json:"generateName"`
	Hash           string         `json:"hash,omitempty"` // content hash of Object (apply, hook)
	DeletePolicies []DeletePolicy `json:"deletePolicies,omitempty"`
	// AutoCreated marks the Namespace added by CreateNamespace: it is
	// created if missing but never tracked or pruned (as Argo CD).
	AutoCreated bool `json:"autoCreated,omitempty"`

	// Object is the manifest to apply or create; for a prune, the live
	// object. Carried beside the plan, not in its JSON.
	Object *unstructured.Unstructured `json:"-"`
}

// ID is the identity of the action's object.
func (a Action) ID() object.ID {
	return object.IDOf(a.Object)
}

// Step is one wave of one phase: its actions run together, and the next
// step starts only when all of them are done and healthy.
type Step struct {
	Phase   Phase    `json:"phase"`
	Wave    int      `json:"wave"`
	Actions []Action `json:"actions"`
}

// Ref names an object outside the steps.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Reason     string `json:"reason"`
}

// Plan is the ordered work for one target.
type Plan struct {
	Hash  string `json:"hash"`
	Steps []Step `json:"steps"`
	// Extraneous objects are in the inventory but not in Git and are not
	// pruned (pruning off, or Prune=false): Argo CD's "requires pruning".
	Extraneous []Ref `json:"extraneous,omitempty"`
	// Skipped objects are in Git but never applied (hook Skip, or hooks of
	// phases Flotilla does not run, such as Helm tests).
	Skipped []Ref `json:"skipped,omitempty"`
	// Warnings are problems Argo CD tolerates: duplicate objects (the last
	// wins), annotations that are not integers (ignored).
	Warnings []string `json:"warnings,omitempty"`
}

// Actions returns every action of the plan in order.
func (p *Plan) Actions() []Action {
	var out []Action
	for _, s := range p.Steps {
		out = append(out, s.Actions...)
	}
	return out
}
