package store

import "time"

// RunPhase is where a run of a plan stands.
type RunPhase string

// Run phases, as flotilla.v1.OperationPhase.
const (
	Running   RunPhase = "Running"
	Succeeded RunPhase = "Succeeded"
	Failed    RunPhase = "Failed"
	// Creating: a hook is about to be created (saved before the request, so
	// a restart looks for it before creating it again).
	Creating RunPhase = "Creating"
)

// Target is one application's plan on this cluster and its current run.
type Target struct {
	App        string `json:"app"`
	PlanHash   string `json:"planHash"`
	Generation uint64 `json:"generation"`
	Run        Run    `json:"run"`
}

// Run is the progress of one execution of a target's plan (one
// generation). It is saved after every step and every hook, so that a
// restarted spoke resumes where it stopped.
type Run struct {
	Phase RunPhase `json:"phase"`
	// DryRunDone: the server-side dry-run of every object passed.
	DryRunDone bool `json:"dryRunDone,omitempty"`
	// Step is the index (in the plan's steps) of the step to run next;
	// every earlier non-SyncFail step succeeded.
	Step int `json:"step"`
	// Failing: a step failed; the SyncFail steps run from FailStep.
	Failing  bool `json:"failing,omitempty"`
	FailStep int  `json:"failStep,omitempty"`
	// Message says why the run failed (or what it is waiting for).
	Message string `json:"message,omitempty"`
	// Hooks by HookKey: the hook objects this run created and how they
	// ended. A hook recorded Succeeded is never run again by this run.
	Hooks      map[string]Hook `json:"hooks,omitempty"`
	StartedAt  time.Time       `json:"startedAt"`
	FinishedAt time.Time       `json:"finishedAt,omitzero"`
}

// Hook is one hook object created by a run.
type Hook struct {
	Name    string   `json:"name"` // the created object's name (generateName resolved)
	Phase   RunPhase `json:"phase"`
	Message string   `json:"message,omitempty"`
}

// Ref names an object the spoke applied.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	// Applied is what the spoke's last apply of the object left: the
	// hash of the object sent and the resourceVersion the API server
	// returned. Empty when unknown. While both still match, applying the
	// same object again would change nothing.
	Applied *Applied `json:"applied,omitempty"`
}

// Applied records one apply of an object.
type Applied struct {
	Hash            string `json:"hash"`
	ResourceVersion string `json:"resourceVersion"`
}

// String renders a ref as "Kind namespace/name".
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}
