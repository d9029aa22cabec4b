package plan

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

var update = flag.Bool("update", false, "rewrite golden files")

func decode(t testing.TB, y string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := object.Decode("test.yaml", []byte(y), object.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// summary renders a plan as one line per action: "Phase/wave action Kind ns/name".
func summary(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		for _, a := range s.Actions {
			name := a.Name
			if name == "" {
				name = a.GenerateName + "*"
			}
			if a.Namespace != "" {
				name = a.Namespace + "/" + name
			}
			out = append(out, fmt.Sprintf("%s/%d %s %s %s", s.Phase, s.Wave, a.Action, a.Kind, name))
		}
	}
	return out
}

// obj builds a small manifest: kind, name, namespace and annotations.
func obj(apiVersion, kind, ns, name string, ann ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\napiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", apiVersion, kind, name)
	if ns != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", ns)
	}
	if len(ann) > 0 {
		b.WriteString("  annotations:\n")
		for i := 0; i+1 < len(ann); i += 2 {
			fmt.Fprintf(&b, "    %s: %q\n", ann[i], ann[i+1])
		}
	}
	return b.String()
}

func crd(group, kind, scope string) string {
	return fmt.Sprintf("---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: %ss.%s\nspec:\n  group: %s\n  scope: %s\n  names: {kind: %s, plural: %ss}\n",
		strings.ToLower(kind), group, group, scope, kind, strings.ToLower(kind))
}

func TestCompute(t *testing.T) {
	tests := map[string]struct {
		desired string
		live    string
		opts    Options
		want    []string
		extra   []string // extraneous "Kind/name reason"
		skipped []string
	}{
		"kind order within a wave, then name": {
			desired: obj("apps/v1", "Deployment", "ns", "web") + obj("v1", "Service", "ns", "web") +
				obj("v1", "ConfigMap", "ns", "b") + obj("v1", "ConfigMap", "ns", "a") +
				obj("example.com/v1", "Widget", "ns", "w") + obj("batch/v1", "Job", "ns", "j") +
				obj("v1", "ServiceAccount", "ns", "sa") + obj("networking.k8s.io/v1", "Ingress", "ns", "i"),
			want: []string{"Sync/0 apply ServiceAccount ns/sa", "Sync/0 apply ConfigMap ns/a", "Sync/0 apply ConfigMap ns/b",
				"Sync/0 apply Service ns/web", "Sync/0 apply Deployment ns/web", "Sync/0 apply Job ns/j",
				"Sync/0 apply Ingress ns/i", "Sync/0 apply Widget ns/w"},
		},
		"waves including negative, before kind": {
			desired: obj("v1", "ConfigMap", "ns", "late", AnnotationSyncWave, "5") + obj("apps/v1", "Deployment", "ns", "first", AnnotationSyncWave, "-2") +
				obj("v1", "Secret", "ns", "mid"),
			want: []string{"Sync/-2 apply Deployment ns/first", "Sync/0 apply Secret ns/mid", "Sync/5 apply ConfigMap ns/late"},
		},
		"argo hooks in every phase, comma list, Skip": {
			desired: obj("batch/v1", "Job", "ns", "pre", AnnotationHook, "PreSync") +
				obj("batch/v1", "Job", "ns", "post", AnnotationHook, "PostSync", AnnotationHookDeletePolicy, "HookSucceeded") +
				obj("batch/v1", "Job", "ns", "fail", AnnotationHook, "SyncFail") +
				obj("batch/v1", "Job", "ns", "both", AnnotationHook, "PreSync, PostSync") +
				obj("v1", "Pod", "ns", "during", AnnotationHook, "Sync") +
				obj("v1", "ConfigMap", "ns", "skipped", AnnotationHook, "Skip") +
				obj("v1", "ConfigMap", "ns", "app"),
			want: []string{"PreSync/0 hook Job ns/both", "PreSync/0 hook Job ns/pre", "Sync/0 apply ConfigMap ns/app",
				"Sync/0 hook Pod ns/during", "PostSync/0 hook Job ns/both", "PostSync/0 hook Job ns/post", "SyncFail/0 hook Job ns/fail"},
			skipped: []string{"ConfigMap/skipped hook Skip"},
		},
		"helm hooks map to phases, weight is the wave, tests never run, crd-install is no hook": {
			desired: obj("batch/v1", "Job", "ns", "migrate", AnnotationHelmHook, "pre-install,pre-upgrade", AnnotationHelmWeight, "-5") +
				obj("batch/v1", "Job", "ns", "notify", AnnotationHelmHook, "post-upgrade") +
				obj("v1", "Pod", "ns", "smoke", AnnotationHelmHook, "test") +
				obj("v1", "ConfigMap", "ns", "crd-ish", AnnotationHelmHook, "crd-install") +
				obj("batch/v1", "Job", "ns", "argo-wins", AnnotationHook, "PostSync", AnnotationHelmHook, "pre-install"),
			want:    []string{"PreSync/-5 hook Job ns/migrate", "Sync/0 apply ConfigMap ns/crd-ish", "PostSync/0 hook Job ns/argo-wins", "PostSync/0 hook Job ns/notify"},
			skipped: []string{"Pod/smoke hook with no sync phase (helm.sh/hook: test)"},
		},
		"sync-wave wins over hook-weight": {
			desired: obj("v1", "ConfigMap", "ns", "a", AnnotationSyncWave, "3", AnnotationHelmWeight, "-3") + obj("v1", "ConfigMap", "ns", "b"),
			want:    []string{"Sync/0 apply ConfigMap ns/b", "Sync/3 apply ConfigMap ns/a"},
		},
		"generateName hooks": {
			desired: "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: smoke-\n  namespace: ns\n  annotations: {argocd.argoproj.io/hook: PostSync}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: smoke-\n  namespace: ns\n  annotations: {argocd.argoproj.io/hook: PostSync}\n",
			want:    []string{"PostSync/0 hook Job ns/smoke-*", "PostSync/0 hook Job ns/smoke-*"},
		},
		"namespace pulled forward before its first object": {
			desired: obj("v1", "ConfigMap", "team", "early", AnnotationSyncWave, "-1") + obj("v1", "Namespace", "", "team", AnnotationSyncWave, "2") +
				obj("v1", "ConfigMap", "other", "x"),
			want: []string{"Sync/-1 apply Namespace team", "Sync/-1 apply ConfigMap team/early", "Sync/0 apply ConfigMap other/x"},
		},
		"namespace pulled into PreSync by a hook": {
			desired: obj("v1", "Namespace", "", "team") + obj("batch/v1", "Job", "team", "pre", AnnotationHook, "PreSync") + obj("v1", "ConfigMap", "team", "c"),
			want:    []string{"PreSync/0 apply Namespace team", "PreSync/0 hook Job team/pre", "Sync/0 apply ConfigMap team/c"},
		},
		"namespace already first stays": {
			desired: obj("v1", "ConfigMap", "team", "c") + obj("v1", "Namespace", "", "team"),
			want:    []string{"Sync/0 apply Namespace team", "Sync/0 apply ConfigMap team/c"},
		},
		"CRD pulled before its first custom resource": {
			desired: obj("example.com/v1", "Widget", "ns", "w1", AnnotationSyncWave, "-3") + crd("example.com", "Widget", "Namespaced") +
				obj("example.com/v1", "Gadget", "ns", "g1") + obj("v1", "ConfigMap", "ns", "c", AnnotationSyncWave, "-3"),
			want: []string{"Sync/-3 apply ConfigMap ns/c", "Sync/-3 apply CustomResourceDefinition widgets.example.com", "Sync/-3 apply Widget ns/w1",
				"Sync/0 apply Gadget ns/g1"},
		},
		"default namespace for namespaced kinds only": {
			desired: obj("v1", "ConfigMap", "", "c") + obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "r") +
				obj("example.com/v1", "Cluster", "", "cl") + crd("example.com", "Cluster", "Cluster") +
				obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "wrong", "b"),
			opts: Options{Namespace: "dest"},
			want: []string{"Sync/0 apply ConfigMap dest/c", "Sync/0 apply CustomResourceDefinition clusters.example.com",
				"Sync/0 apply ClusterRole r", "Sync/0 apply ClusterRoleBinding b", "Sync/0 apply Cluster cl"},
		},
		"CreateNamespace adds the destination namespace first": {
			desired: obj("batch/v1", "Job", "", "pre", AnnotationHook, "PreSync", AnnotationSyncWave, "-1") + obj("v1", "ConfigMap", "", "c"),
			opts:    Options{Namespace: "dest", CreateNamespace: true},
			want:    []string{"PreSync/-1 apply Namespace dest", "PreSync/-1 hook Job dest/pre", "Sync/0 apply ConfigMap dest/c"},
		},
		"prune set is inventory minus desired; hooks never pruned; prunes first in a step": {
			desired: obj("v1", "ConfigMap", "ns", "keep"),
			live: obj("v1", "ConfigMap", "ns", "keep") + obj("v1", "ConfigMap", "ns", "gone") +
				obj("batch/v1", "Job", "ns", "oldhook", AnnotationHook, "PreSync") + obj("apps/v1", "Deployment", "ns", "old"),
			opts: Options{Prune: true},
			want: []string{"Sync/0 prune ConfigMap ns/gone", "Sync/0 prune Deployment ns/old", "Sync/0 apply ConfigMap ns/keep"},
		},
		"prune off lists extraneous; Prune=false never pruned": {
			desired: obj("v1", "ConfigMap", "ns", "keep"),
			live:    obj("v1", "ConfigMap", "ns", "keep") + obj("v1", "ConfigMap", "ns", "gone") + obj("v1", "Secret", "ns", "precious", AnnotationSyncOptions, "Prune=false"),
			opts:    Options{Prune: false},
			want:    []string{"Sync/0 apply ConfigMap ns/keep"},
			extra:   []string{"ConfigMap/gone pruning disabled", "Secret/precious Prune=false"},
		},
		"Prune=false kept even with prune on": {
			desired: "",
			live:    obj("v1", "ConfigMap", "ns", "gone") + obj("v1", "Secret", "ns", "precious", AnnotationSyncOptions, "PruneLast=true,Prune=false"),
			opts:    Options{Prune: true},
			want:    []string{"Sync/0 prune ConfigMap ns/gone"},
			extra:   []string{"Secret/precious Prune=false"},
		},
		"prune waves reversed": {
			desired: obj("v1", "ConfigMap", "ns", "app", AnnotationSyncWave, "1"),
			live: obj("v1", "ConfigMap", "ns", "app", AnnotationSyncWave, "1") + obj("v1", "ConfigMap", "ns", "w-1", AnnotationSyncWave, "-1") +
				obj("v1", "ConfigMap", "ns", "w2", AnnotationSyncWave, "2") + obj("v1", "ConfigMap", "ns", "w5", AnnotationSyncWave, "5"),
			opts: Options{Prune: true},
			want: []string{"Sync/-1 prune ConfigMap ns/w5", "Sync/1 apply ConfigMap ns/app", "Sync/2 prune ConfigMap ns/w2", "Sync/5 prune ConfigMap ns/w-1"},
		},
		"PruneLast option prunes after the last sync wave": {
			desired: obj("v1", "ConfigMap", "ns", "a", AnnotationSyncWave, "3") + obj("batch/v1", "Job", "ns", "post", AnnotationHook, "PostSync"),
			live:    obj("v1", "ConfigMap", "ns", "x", AnnotationSyncWave, "-4") + obj("v1", "ConfigMap", "ns", "z"),
			opts:    Options{Prune: true, PruneLast: true},
			want:    []string{"Sync/3 apply ConfigMap ns/a", "Sync/4 prune ConfigMap ns/x", "Sync/4 prune ConfigMap ns/z", "PostSync/0 hook Job ns/post"},
		},
		"PruneLast per object annotation": {
			desired: obj("v1", "ConfigMap", "ns", "a", AnnotationSyncWave, "2"),
			live:    obj("v1", "ConfigMap", "ns", "x", AnnotationSyncOptions, "PruneLast=true") + obj("v1", "ConfigMap", "ns", "z"),
			opts:    Options{Prune: true},
			want:    []string{"Sync/0 prune ConfigMap ns/z", "Sync/2 apply ConfigMap ns/a", "Sync/3 prune ConfigMap ns/x"},
		},
		"identity ignores version: apps/v1 vs apps/v1beta2 is one object": {
			desired: obj("apps/v1", "Deployment", "ns", "web"),
			live:    obj("apps/v1beta2", "Deployment", "ns", "web"),
			opts:    Options{Prune: true},
			want:    []string{"Sync/0 apply Deployment ns/web"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			desired, live := decode(t, tc.desired), decode(t, tc.live)
			before, _ := object.EncodeYAML(desired)
			p, err := Compute(desired, live, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(p); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			var extra, skipped []string
			for _, r := range p.Extraneous {
				extra = append(extra, r.Kind+"/"+r.Name+" "+r.Reason)
			}
			for _, r := range p.Skipped {
				skipped = append(skipped, r.Kind+"/"+r.Name+" "+r.Reason)
			}
			if fmt.Sprint(extra) != fmt.Sprint(tc.extra) {
				t.Errorf("extraneous = %v, want %v", extra, tc.extra)
			}
			if fmt.Sprint(skipped) != fmt.Sprint(tc.skipped) {
				t.Errorf("skipped = %v, want %v", skipped, tc.skipped)
			}
			after, _ := object.EncodeYAML(desired)
			if string(before) != string(after) {
				t.Errorf("Compute modified its input")
			}
		})
	}
}

// TestToleratedLikeArgoCD covers input Argo CD accepts with a fallback:
// Flotilla does the same and says so in the plan's warnings.
func TestToleratedLikeArgoCD(t *testing.T) {
	tests := map[string]struct {
		desired string
		live    string
		opts    Options
		want    []string
		warn    string
		extra   []string
		skipped []string
	}{
		"bad wave falls back to hook-weight, then 0": {
			desired: obj("v1", "ConfigMap", "ns", "c", AnnotationSyncWave, "soon", AnnotationHelmWeight, "3") + obj("v1", "ConfigMap", "ns", "d", AnnotationSyncWave, ""),
			want:    []string{"Sync/0 apply ConfigMap ns/d", "Sync/3 apply ConfigMap ns/c"},
			warn:    `ConfigMap ns/c: annotation argocd.argoproj.io/sync-wave: "soon" is not an integer; ignored`,
		},
		"unknown hook value: a hook that never runs": {
			desired: obj("batch/v1", "Job", "ns", "j", AnnotationHook, "PreSnyc"),
			skipped: []string{"Job/j hook with no sync phase (argocd.argoproj.io/hook: PreSnyc)"},
		},
		"empty argo hook falls back to helm types": {
			desired: obj("batch/v1", "Job", "ns", "j", AnnotationHook, "", AnnotationHelmHook, "pre-install"),
			want:    []string{"PreSync/0 hook Job ns/j"},
		},
		"Skip with another type runs as that hook": {
			desired: obj("batch/v1", "Job", "ns", "j", AnnotationHook, "Skip,PreSync"),
			want:    []string{"PreSync/0 hook Job ns/j"},
		},
		"a skipped object is never pruned": {
			desired: obj("v1", "ConfigMap", "ns", "a", AnnotationHook, "Skip"),
			live:    obj("v1", "ConfigMap", "ns", "a"),
			opts:    Options{Prune: true},
			skipped: []string{"ConfigMap/a hook Skip"},
		},
		"duplicates: the last one wins": {
			desired: obj("v1", "ConfigMap", "ns", "c", "first", "1") + obj("v1", "ConfigMap", "ns", "c", AnnotationSyncWave, "2"),
			want:    []string{"Sync/2 apply ConfigMap ns/c"},
			warn:    "ConfigMap/ns/c: declared more than once in the desired state; the last one is used",
		},
		"confirmed prunes run": {
			live: obj("v1", "ConfigMap", "ns", "a", AnnotationSyncOptions, "Prune=confirm") + obj("v1", "ConfigMap", "ns", "b"),
			opts: Options{Prune: true, PruneConfirm: true, PruneConfirmed: true},
			want: []string{"Sync/0 prune ConfigMap ns/a", "Sync/0 prune ConfigMap ns/b"},
		},
		"selective sync applies and prunes only what it names, runs no hook": {
			desired: obj("v1", "ConfigMap", "ns", "pick") + obj("v1", "ConfigMap", "ns", "other") +
				obj("batch/v1", "Job", "ns", "pre", AnnotationHook, "PreSync") + obj("apps/v1", "Deployment", "ns", "pick"),
			live: obj("v1", "ConfigMap", "ns", "gone") + obj("v1", "Secret", "ns", "gone-too") + obj("v1", "ConfigMap", "ns", "other"),
			opts: Options{Prune: true, Only: []Selector{{Kind: "ConfigMap", Name: "pick"}, {Kind: "configmap", Namespace: "ns", Name: "gone"},
				{Group: "batch", Kind: "Job", Name: "pre"}}},
			want:    []string{"Sync/0 prune ConfigMap ns/gone", "Sync/0 apply ConfigMap ns/pick"},
			skipped: []string{"Job/pre hook: not run in a selective sync"},
		},
		"Prune=confirm waits for confirmation": {
			live:  obj("v1", "ConfigMap", "ns", "a", AnnotationSyncOptions, "Prune=confirm") + obj("v1", "ConfigMap", "ns", "b"),
			opts:  Options{Prune: true},
			want:  []string{"Sync/0 prune ConfigMap ns/b"},
			extra: []string{"ConfigMap/a Prune=confirm: needs confirmation"},
		},
		"prune waves mirror over kept objects too": {
			live: obj("v1", "ConfigMap", "ns", "p0") + obj("v1", "ConfigMap", "ns", "p5", AnnotationSyncWave, "5") +
				obj("v1", "ConfigMap", "ns", "keep", AnnotationSyncWave, "10", AnnotationSyncOptions, "Prune=false"),
			opts:  Options{Prune: true},
			want:  []string{"Sync/5 prune ConfigMap ns/p5", "Sync/10 prune ConfigMap ns/p0"},
			extra: []string{"ConfigMap/keep Prune=false"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Compute(decode(t, tc.desired), decode(t, tc.live), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(p); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if tc.warn != "" && (len(p.Warnings) == 0 || p.Warnings[0] != tc.warn) {
				t.Errorf("warnings = %q, want %q", p.Warnings, tc.warn)
			}
			var extra, skipped []string
			for _, r := range p.Extraneous {
				extra = append(extra, r.Kind+"/"+r.Name+" "+r.Reason)
			}
			for _, r := range p.Skipped {
				skipped = append(skipped, r.Kind+"/"+r.Name+" "+r.Reason)
			}
			if fmt.Sprint(extra) != fmt.Sprint(tc.extra) || fmt.Sprint(skipped) != fmt.Sprint(tc.skipped) {
				t.Errorf("extraneous %v skipped %v; want %v and %v", extra, skipped, tc.extra, tc.skipped)
			}
		})
	}
}

func TestAutoCreatedNamespaceIsMarked(t *testing.T) {
	p, err := Compute(decode(t, obj("v1", "ConfigMap", "", "c")), nil, Options{Namespace: "app", CreateNamespace: true})
	if err != nil {
		t.Fatal(err)
	}
	if a := p.Steps[0].Actions[0]; a.Kind != "Namespace" || !a.AutoCreated {
		t.Fatalf("first action %+v, want the auto-created Namespace", a)
	}
	if p.Steps[1].Actions[0].AutoCreated {
		t.Errorf("ConfigMap marked auto-created")
	}
}

func TestDeletePoliciesAndHash(t *testing.T) {
	desired := decode(t, obj("batch/v1", "Job", "ns", "a", AnnotationHook, "PreSync", AnnotationHookDeletePolicy, "Never")+
		obj("batch/v1", "Job", "ns", "b", AnnotationHook, "PreSync", AnnotationHookDeletePolicy, "HookSucceeded,HookFailed")+
		obj("batch/v1", "Job", "ns", "c", AnnotationHelmHook, "pre-install", AnnotationHelmDeletePolicy, "hook-succeeded,sometimes", AnnotationHookDeletePolicy, "HookFailed"))
	p, err := Compute(desired, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range p.Actions() {
		got[a.Name] = fmt.Sprint(a.DeletePolicies)
	}
	want := map[string]string{"a": "[BeforeHookCreation]", "b": "[HookSucceeded HookFailed]", "c": "[HookFailed HookSucceeded]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("policies = %v, want %v", got, want)
	}
	// The hash is stable for the same input, whatever the input order of
	// equal-ranked objects, and changes with content.
	p2, _ := Compute([]*unstructured.Unstructured{desired[2], desired[1], desired[0]}, nil, Options{})
	if p.Hash != p2.Hash || len(p.Hash) != 64 {
		t.Errorf("hash not stable: %s vs %s", p.Hash, p2.Hash)
	}
	changed := decode(t, obj("batch/v1", "Job", "ns", "a", AnnotationHook, "PreSync", "x", "y"))
	p3, _ := Compute(append(changed, desired[1:]...), nil, Options{})
	if p3.Hash == p.Hash {
		t.Errorf("hash did not change with content")
	}
}

func TestSetSyncOption(t *testing.T) {
	var o Options
	for _, kv := range []string{"PruneLast=true", "CreateNamespace=true", "Prune=true", "ServerSideApply=true"} {
		if err := o.SetSyncOption(kv); err != nil {
			t.Fatal(err)
		}
	}
	if !o.PruneLast || !o.CreateNamespace || !o.Prune {
		t.Errorf("options not set: %+v", o)
	}
	for _, ok := range []string{"Replace=true", "FailOnSharedResource=false", "PrunePropagationPolicy=Foreground", "SkipDryRunOnMissingResource=true"} {
		if err := o.SetSyncOption(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	if !o.SkipMissingResource {
		t.Errorf("SkipDryRunOnMissingResource not set: %+v", o)
	}
	for _, bad := range []string{"PruneLast", "Bogus=true", "PruneLast=maybe", "Replace=banana", "PrunePropagationPolicy=sideways", "Force="} {
		if err := o.SetSyncOption(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestGoldenJSON pins the JSON form that `flotilla plan -o json` prints.
func TestGoldenJSON(t *testing.T) {
	read := func(name string) []*unstructured.Unstructured {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := object.Decode(name, b, object.DefaultLimits())
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}
	p, err := Compute(read("app/desired.yaml"), read("app-live.yaml"), Options{Prune: true, Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("testdata", "plan.golden.json")
	if *update {
		if err := os.WriteFile(file, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("plan JSON differs from %s:\n%s", file, got)
	}
}

func TestSelectiveSyncNamesWhatIsMissing(t *testing.T) {
	_, err := Compute(decode(t, obj("v1", "ConfigMap", "ns", "a")), nil, Options{Only: []Selector{{Group: "apps", Kind: "Deployment", Namespace: "ns", Name: "web"}}})
	if err == nil || !strings.Contains(err.Error(), "apps:Deployment:ns/web") {
		t.Fatalf("got %v, want an error naming apps:Deployment:ns/web", err)
	}
}
