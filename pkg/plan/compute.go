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
	PruneConfirm    bool      // prunes wait for a confirmation (Prune=confirm): listed, not run
	PruneLast       bool      // prune after the last Sync wave
	CreateNamespace bool      // create Namespace if no object declares it
	Namespace       string    // default namespace for namespaced objects that name none
	Scope           ScopeFunc // optional: discovery, to know which kinds are namespaced
	// RequireScope refuses objects whose scope nothing knows (not served
	// by the cluster, no CRD among the desired objects) instead of taking
	// them for namespaced: the hub plans with the cluster's discovery.
	RequireScope bool
	// SkipMissingResource (sync option SkipDryRunOnMissingResource=true,
	// or the same object annotation) lets an object of an unknown kind
	// through RequireScope, taken for namespaced: its CRD is expected to
	// appear during the sync, and the spoke checks its real scope.
	SkipMissingResource bool
	// PruneConfirmed runs the prunes that Prune=confirm holds: the user
	// confirmed them (flotilla app sync --confirm-prune).
	PruneConfirmed bool
	// Only makes a selective sync: just these resources are applied or
	// pruned, no hook runs, everything else is left as it is.
	Only []Selector
}

// executorOptions are Argo CD sync options the spoke (not the plan) acts
// on: the hub passes them in the plan's options. Each takes true or false,
// but PrunePropagationPolicy.
var executorOptions = map[string]bool{
	"ApplyOutOfSyncOnly": true, "RespectIgnoreDifferences": true,
	"Replace": true, "FailOnSharedResource": true, "PrunePropagationPolicy": true,
	"Force": true, "ForceConflicts": true, "Delete": true,
	// Strict field validation and the client-side apply migration are the
	// defaults; =false turns them off for every object (an object may
	// also turn either off with its own sync options annotation).
	"Validate": true, "ClientSideApplyMigration": true,
}

// defaultOnly are options whose true is what Flotilla does anyway; false
// is refused, for the reason given.
var defaultOnly = map[string]string{
	"ServerSideApply": "Flotilla always applies server-side (Replace=true replaces the object whole)",
}

// propagationPolicies are PrunePropagationPolicy's values.
var propagationPolicies = map[string]bool{"background": true, "foreground": true, "orphan": true}

// SetSyncOption applies one Argo CD-style sync option ("PruneLast=true").
func (o *Options) SetSyncOption(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" {
		return fmt.Errorf("sync option %q: want Name=value", kv)
	}
	if k == "SkipSchemaValidation" {
		return fmt.Errorf("sync option %q: not a sync option (Argo CD's skipSchemaValidation is a field of Helm sources, "+
			"helm template --skip-schema-validation, which Flotilla does not have)", kv)
	}
	if k == "PrunePropagationPolicy" {
		if !propagationPolicies[strings.ToLower(v)] {
			return fmt.Errorf("sync option %q: want PrunePropagationPolicy=background|foreground|orphan", kv)
		}
		return nil
	}
	if k == "Prune" && strings.EqualFold(v, "confirm") {
		o.Prune, o.PruneConfirm = true, true
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("sync option %q: want %s=true|false", kv, k)
	}
	if executorOptions[k] {
		return nil
	}
	if why, ok := defaultOnly[k]; ok {
		if !b {
			return fmt.Errorf("sync option %q: %s", kv, why)
		}
		return nil
	}
	switch k {
	case "Prune":
		o.Prune = b
	case "PruneLast":
		o.PruneLast = b
	case "CreateNamespace":
		o.CreateNamespace = b
	case "SkipDryRunOnMissingResource":
		o.SkipMissingResource = b
	default:
		return fmt.Errorf("sync option %q: unknown option %q", kv, k)
	}
	return nil
}

// Compute orders desired objects into a plan. live is the previous
// inventory (what was applied before and still exists, with its
// annotations); it yields the prune set. Inputs are not modified.
func Compute(desired, live []*unstructured.Unstructured, opts Options) (*Plan, error) {
	scope := builtinScope(desired, live, opts.Scope)
	if opts.RequireScope {
		if err := checkScopes(desired, scope, opts.SkipMissingResource); err != nil {
			return nil, err
		}
	}
	p := &Plan{}
	objs, kept, err := selectObjects(dedupe(desired, scope, opts.Namespace, p), live, opts.Only, p)
	if err != nil {
		return nil, err
	}
	var tasks []*task
	want := kept // desired identities and objects a selective sync leaves alone: never pruned
	if want == nil {
		want = map[object.ID]bool{}
	}
	hasNS := map[string]bool{}
	for _, u := range objs {
		isHook, skip, phases := hookInfo(u)
		w, warn := wave(u)
		if warn != "" {
			p.Warnings = append(p.Warnings, warn)
		}
		switch {
		case skip:
			want[object.IDOf(u)] = true
			p.Skipped = append(p.Skipped, refOf(u, "hook Skip"))
		case isHook && len(phases) == 0:
			p.Skipped = append(p.Skipped, refOf(u, "hook with no sync phase ("+hookAnnotation(u)+")"))
		case isHook:
			for _, ph := range phases {
				t, err := newTask(Hook, ph, w, u, deletePolicies(u))
				if err != nil {
					return nil, err
				}
				tasks = append(tasks, t)
			}
		default:
			want[object.IDOf(u)] = true
			if name, ok := isNamespace(u); ok {
				hasNS[name] = true
			}
			t, err := newTask(Apply, Sync, w, u, nil)
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
		t.AutoCreated = true
		tasks = append(tasks, t)
		want[object.IDOf(ns)] = true
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

func hookAnnotation(u *unstructured.Unstructured) string {
	if v, ok := u.GetAnnotations()[AnnotationHook]; ok {
		return AnnotationHook + ": " + v
	}
	return AnnotationHelmHook + ": " + u.GetAnnotations()[AnnotationHelmHook]
}

// dedupe resolves namespaces and keeps the last of objects sharing an
// identity, as Argo CD does, with a warning. Objects named by
// generateName are all kept.
func dedupe(desired []*unstructured.Unstructured, scope ScopeFunc, ns string, p *Plan) []*unstructured.Unstructured {
	resolved := make([]*unstructured.Unstructured, len(desired))
	last := map[object.ID]int{}
	count := map[object.ID]int{}
	for i, in := range desired {
		u := resolveNamespace(in, scope, ns)
		resolved[i] = u
		if u.GetName() != "" {
			id := object.IDOf(u)
			last[id] = i
			count[id]++
		}
	}
	out := make([]*unstructured.Unstructured, 0, len(resolved))
	for i, u := range resolved {
		if u.GetName() != "" {
			id := object.IDOf(u)
			if last[id] != i {
				continue
			}
			if count[id] > 1 {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %v; the last one is used", id, ErrDuplicate))
			}
		}
		out = append(out, u)
	}
	return out
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

// pruneSet returns prune tasks for inventory objects no longer wanted and
// the extraneous objects that are kept. Hooks are never pruned. Waves are
// mirrored over every candidate, kept ones included (gitops-engine), and
// PruneLast is applied later.
func pruneSet(live []*unstructured.Unstructured, want map[object.ID]bool, opts Options) ([]*task, []Ref) {
	type entry struct {
		id object.ID
		u  *unstructured.Unstructured
	}
	sorted := make([]entry, 0, len(live))
	for _, u := range live {
		sorted = append(sorted, entry{object.IDOf(u), u})
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].id.Less(sorted[j].id) })
	var candidates []*task
	var extraneous []Ref
	waves := map[int]bool{}
	for _, e := range sorted {
		if want[e.id] {
			continue
		}
		if isHook, _, _ := hookInfo(e.u); isHook {
			continue
		}
		w, _ := wave(e.u) // a live object's bad annotation must not block its removal
		waves[w] = true
		reason := ""
		switch {
		case syncOption(e.u, "Prune", "false"):
			reason = "Prune=false"
		case (syncOption(e.u, "Prune", "confirm") || opts.PruneConfirm) && !opts.PruneConfirmed:
			reason = "Prune=confirm: needs confirmation"
		case !opts.Prune:
			reason = "pruning disabled"
		}
		if reason != "" {
			extraneous = append(extraneous, refOf(e.u, reason))
			continue
		}
		t, _ := newTask(Prune, Sync, w, e.u, nil) // prunes are not hashed: no error
		candidates = append(candidates, t)
	}
	sortedWaves := make([]int, 0, len(waves))
	for w := range waves {
		sortedWaves = append(sortedWaves, w)
	}
	sort.Ints(sortedWaves)
	mirror := map[int]int{}
	for i, w := range sortedWaves {
		mirror[w] = sortedWaves[len(sortedWaves)-1-i]
	}
	for _, t := range candidates {
		t.wave = mirror[t.wave]
	}
	return candidates, extraneous
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
