package plan

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// Options shape a plan. The zero value applies everything and prunes
// nothing.
type Options struct {
	Prune           bool      // delete inventory objects no longer desired
	PruneLast       bool      // prune after the last Sync wave
	CreateNamespace bool      // create Namespace if no object declares it
	Namespace       string    // default namespace for namespaced objects that name none
	Scope           ScopeFunc // optional: discovery, to know which kinds are namespaced
}

// SetSyncOption applies one Argo CD-style sync option ("PruneLast=true").
// Options the plan does not act on (ServerSideApply, ApplyOutOfSyncOnly,
// RespectIgnoreDifferences...) are the executor's and are accepted here.
func (o *Options) SetSyncOption(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if !ok || (err != nil && k != "PrunePropagationPolicy") {
		return fmt.Errorf("sync option %q: want Name=true|false", kv)
	}
	switch strings.TrimSpace(k) {
	case "Prune":
		o.Prune = b
	case "PruneLast":
		o.PruneLast = b
	case "CreateNamespace":
		o.CreateNamespace = b
	case "ServerSideApply", "ApplyOutOfSyncOnly", "RespectIgnoreDifferences", "Validate",
		"Replace", "FailOnSharedResource", "SkipDryRunOnMissingResource", "PrunePropagationPolicy", "Force":
	default:
		return fmt.Errorf("sync option %q: unknown option %q", kv, k)
	}
	return nil
}

// Compute orders desired objects into a plan. live is the previous
// inventory (what was applied before and still exists); it yields the prune
// set. Inputs are not modified.
func Compute(desired, live []*unstructured.Unstructured, opts Options) (*Plan, error) {
	scope := builtinScope(desired, live, opts.Scope)
	p := &Plan{}
	var tasks []*task
	want := map[object.ID]string{} // non-hook identities → description, for duplicates
	hasNS := map[string]bool{}
	for _, in := range desired {
		u := resolveNamespace(in, scope, opts.Namespace)
		isHook, skip, phases, err := hookInfo(u)
		if err != nil {
			return nil, err
		}
		if skip || (isHook && len(phases) == 0) {
			reason := "hook Skip"
			if !skip {
				reason = "hook with no sync phase (" + u.GetAnnotations()[AnnotationHelmHook] + ")"
			}
			p.Skipped = append(p.Skipped, refOf(u, reason))
			continue
		}
		w, err := wave(u)
		if err != nil {
			return nil, err
		}
		if !isHook {
			id := object.IDOf(u)
			if _, dup := want[id]; dup {
				return nil, fmt.Errorf("%s: %w", id, ErrDuplicate)
			}
			want[id] = object.Describe(u)
			if name, ok := isNamespace(u); ok {
				hasNS[name] = true
			}
			t, err := newTask(Apply, Sync, w, u, nil)
			if err != nil {
				return nil, err
			}
			tasks = append(tasks, t)
			continue
		}
		policies, err := deletePolicies(u)
		if err != nil {
			return nil, err
		}
		for _, ph := range phases {
			t, err := newTask(Hook, ph, w, u, policies)
			if err != nil {
				return nil, err
			}
			tasks = append(tasks, t)
		}
	}
	if opts.CreateNamespace && opts.Namespace != "" && !hasNS[opts.Namespace] {
		ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": opts.Namespace}}}
		t, err := newTask(Apply, PreSync, 0, ns, nil)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
		want[object.IDOf(ns)] = "Namespace " + opts.Namespace
	}
	prunes, extraneous := pruneSet(live, want, opts)
	p.Extraneous = extraneous
	tasks = append(tasks, prunes...)
	applyPruneLast(tasks, opts.PruneLast)
	sort.SliceStable(tasks, func(i, j int) bool { return less(tasks[i], tasks[j]) })
	pullForward(tasks, isNamespace, inNamespace)
	pullForward(tasks, isCRD, groupKind)
	p.Steps = group(tasks)
	h, err := hashPlan(p)
	if err != nil {
		return nil, err
	}
	p.Hash = h
	return p, nil
}

func newTask(a ActionType, ph Phase, w int, u *unstructured.Unstructured, policies []DeletePolicy) (*task, error) {
	gvk := u.GroupVersionKind()
	t := &task{phase: ph, wave: w, obj: u, rank: kindRank[gvk.Kind], group: gvk.Group, Action: Action{
		Action: a, APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(),
		Name: u.GetName(), GenerateName: u.GetGenerateName(), DeletePolicies: policies, Object: u,
	}}
	if a != Prune {
		h, err := object.Hash(u)
		if err != nil {
			return nil, err
		}
		t.Hash = h
	}
	return t, nil
}

// resolveNamespace returns u with its namespace set (namespaced kinds
// without one get def) or cleared (cluster-scoped kinds); u itself is
// copied, never changed.
func resolveNamespace(u *unstructured.Unstructured, scope ScopeFunc, def string) *unstructured.Unstructured {
	namespaced, _ := scope(u.GroupVersionKind().GroupKind())
	switch {
	case namespaced && u.GetNamespace() == "" && def != "":
		u = u.DeepCopy()
		u.SetNamespace(def)
	case !namespaced && u.GetNamespace() != "":
		u = u.DeepCopy()
		u.SetNamespace("")
	}
	return u
}

// pruneSet returns prune tasks for inventory objects no longer wanted, with
// waves reversed and PruneLast applied, and the extraneous objects that are
// kept. Hooks are never pruned.
func pruneSet(live []*unstructured.Unstructured, want map[object.ID]string, opts Options) ([]*task, []Ref) {
	type entry struct {
		id object.ID
		u  *unstructured.Unstructured
	}
	sorted := make([]entry, len(live))
	for i, u := range live {
		sorted[i] = entry{object.IDOf(u), u}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].id.Less(sorted[j].id) })
	var prunes []*task
	var extraneous []Ref
	for _, e := range sorted {
		u := e.u
		if _, ok := want[e.id]; ok {
			continue
		}
		if isHook, skip, _, _ := hookInfo(u); isHook || skip {
			continue
		}
		switch {
		case syncOption(u, "Prune", "false"):
			extraneous = append(extraneous, refOf(u, "Prune=false"))
			continue
		case !opts.Prune:
			extraneous = append(extraneous, refOf(u, "pruning disabled"))
			continue
		}
		w, err := wave(u)
		if err != nil {
			w = 0 // a live object's bad annotation must not block its removal
		}
		t, _ := newTask(Prune, Sync, w, u, nil) // prunes are not hashed: no error
		prunes = append(prunes, t)
	}
	// Reverse the prune waves: the first created is the last deleted.
	var waves []int
	seen := map[int]bool{}
	for _, t := range prunes {
		if !seen[t.wave] {
			seen[t.wave] = true
			waves = append(waves, t.wave)
		}
	}
	sort.Ints(waves)
	mirror := map[int]int{}
	for i, w := range waves {
		mirror[w] = waves[len(waves)-1-i]
	}
	for _, t := range prunes {
		t.wave = mirror[t.wave]
	}
	return prunes, extraneous
}

// applyPruneLast moves PruneLast prunes after the last Sync-phase wave.
func applyPruneLast(tasks []*task, all bool) {
	last := 0
	for _, t := range tasks {
		if t.phase == Sync && t.wave > last {
			last = t.wave
		}
	}
	for _, t := range tasks {
		if t.Action.Action == Prune && (all || syncOption(t.obj, "PruneLast", "true")) {
			t.wave = last + 1
		}
	}
}

// group cuts ordered tasks into steps of equal phase and wave; within a
// step prunes come first.
func group(tasks []*task) []Step {
	var steps []Step
	for i := 0; i < len(tasks); {
		j := i
		for j < len(tasks) && tasks[j].phase == tasks[i].phase && tasks[j].wave == tasks[i].wave {
			j++
		}
		st := Step{Phase: tasks[i].phase, Wave: tasks[i].wave}
		for _, a := range []ActionType{Prune, Apply} {
			for _, t := range tasks[i:j] {
				if (t.Action.Action == Prune) == (a == Prune) {
					st.Actions = append(st.Actions, t.Action)
				}
			}
		}
		steps = append(steps, st)
		i = j
	}
	return steps
}

func refOf(u *unstructured.Unstructured, reason string) Ref {
	return Ref{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Reason: reason}
}

// hashPlan is the sha256 of the plan's JSON (which carries each object's
// content hash), without the hash field itself.
func hashPlan(p *Plan) (string, error) {
	c := *p
	c.Hash = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("plan hash: %w", err)
	}
	return object.HashBytes(b), nil
}
