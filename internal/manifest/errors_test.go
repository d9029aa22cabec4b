package manifest

import (
	"errors"
	"strings"
	"testing"
)

func TestRefused(t *testing.T) {
	const app = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web}
spec:
  source: {repoURL: https://git.example.com/web.git, path: web}
  destination: {name: prod, namespace: web}
`
	tests := map[string]struct {
		in   string
		want string
		is   error
	}{
		"unknown kind": {
			in:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n",
			want: "apps.yaml: document 1 (Deployment web): unknown kind apps/v1 Deployment (expected Application, AppProject or ApplicationSet of argoproj.io, or Application, Project, ApplicationSet or Cluster of flotilla.dev)",
			is:   ErrUnknownKind,
		},
		"unknown argo kind": {
			in:   "apiVersion: argoproj.io/v1alpha1\nkind: AppProjectX\nmetadata: {name: p}\n",
			want: "apps.yaml: document 1 (AppProjectX p): unknown kind argoproj.io/v1alpha1 AppProjectX (expected Application, AppProject or ApplicationSet of argoproj.io, or Application, Project, ApplicationSet or Cluster of flotilla.dev)",
			is:   ErrUnknownKind,
		},
		"missing kind": {
			in:   "apiVersion: argoproj.io/v1alpha1\nmetadata: {name: p}\n",
			want: "apps.yaml: document 1 (p): kind: required",
			is:   ErrRequired,
		},
		"missing name": {
			in:   strings.Replace(app, "{name: web}", "{namespace: argocd}", 1),
			want: "apps.yaml: document 1 (Application): metadata.name: required",
			is:   ErrRequired,
		},
		"missing repoURL": {
			in:   strings.Replace(app, "repoURL: https://git.example.com/web.git, ", "", 1),
			want: "apps.yaml: document 1 (Application web): spec.source.repoURL: required",
			is:   ErrRequired,
		},
		"missing source": {
			in:   strings.Replace(app, "  source: {repoURL: https://git.example.com/web.git, path: web}\n", "", 1),
			want: "apps.yaml: document 1 (Application web): spec.source: required",
			is:   ErrRequired,
		},
		"missing destination": {
			in:   strings.Replace(app, "  destination: {name: prod, namespace: web}\n", "", 1),
			want: "apps.yaml: document 1 (Application web): spec.destination: required",
			is:   ErrRequired,
		},
		"plugin source": {
			in:   strings.Replace(app, "path: web", "path: web, plugin: {name: cmp}", 1),
			want: "apps.yaml: document 1 (Application web): spec.source.plugin: config management plugins: not supported yet",
			is:   ErrNotSupported,
		},
		"two source types": {
			in:   strings.Replace(app, "path: web", "path: web, helm: {releaseName: w}, kustomize: {namePrefix: p-}", 1),
			want: "apps.yaml: document 1 (Application web): spec.source: invalid: more than one of directory, helm and kustomize is set (helm, kustomize)",
			is:   ErrInvalid,
		},
		"bad destination server": {
			in:   strings.Replace(app, "name: prod", "server: https://10.0.0.1:6443", 1),
			want: "apps.yaml: document 1 (Application web): spec.destination.server: not supported: https://10.0.0.1:6443: Flotilla addresses clusters by registered name (use destination.name)",
			is:   ErrNotSupported,
		},
		"bad syncOption": {
			in:   app + "  syncPolicy:\n    syncOptions: [CreateNamespace=true, PruneLast]\n",
			want: `apps.yaml: document 1 (Application web): spec.syncPolicy.syncOptions[1]: invalid: "PruneLast" is not KEY=VALUE`,
			is:   ErrInvalid,
		},
		"bad retry duration": {
			in:   app + "  syncPolicy:\n    retry: {backoff: {duration: soon}}\n",
			want: `apps.yaml: document 1 (Application web): spec.syncPolicy.retry.backoff.duration: invalid: "soon" is not a duration such as 5s or 2m`,
			is:   ErrInvalid,
		},
		"wrong type": {
			in:   strings.Replace(app, "namespace: web}", "namespace: web}\n  revisionHistoryLimit: ten", 1),
			want: `apps.yaml: document 1 (Application web): spec.revisionHistoryLimit: invalid: "ten" is not an integer`,
			is:   ErrInvalid,
		},
		"bad YAML": {
			in:   app + "---\nkind: [\n",
			want: "apps.yaml: document 2: YAML syntax error: line 9: did not find expected node content",
			is:   ErrSyntax,
		},
		"not a mapping": {
			in:   "- a\n- b\n",
			want: "apps.yaml: document 1: invalid: a document must be a mapping, not a list",
			is:   ErrInvalid,
		},
		"flotilla unknown spec field": {
			in: `apiVersion: flotilla.dev/v1alpha1
kind: Application
metadata: {name: web}
spec:
  source: {repoUrl: https://git.example.com/web.git, helm: {releaseName: w, valueFile: [a.yaml]}}
`,
			want: "apps.yaml: document 1 (Application web): spec.source.helm.valueFile: unknown field",
			is:   ErrUnknownField,
		},
		"flotilla Argo spelling": {
			in:   "apiVersion: flotilla.dev/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec: {source: {repoURL: x}}\n",
			want: "apps.yaml: document 1 (Application web): spec.source.repoURL: unknown field",
			is:   ErrUnknownField,
		},
		"flotilla metadata in spec": {
			in:   "apiVersion: flotilla.dev/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec: {labels: {a: b}}\n",
			want: "apps.yaml: document 1 (Application web): spec.labels: unknown field",
			is:   ErrUnknownField,
		},
		"flotilla wrong type": {
			in:   "apiVersion: flotilla.dev/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec: {dependsOn: db}\n",
			want: `apps.yaml: document 1 (Application web): spec.dependsOn: invalid: must be a list, not a string`,
			is:   ErrInvalid,
		},
		"flotilla bad source kind": {
			in:   "apiVersion: flotilla.dev/v1alpha1\nkind: Application\nmetadata: {name: web}\nspec: {source: {kind: Jsonnet}}\n",
			want: `apps.yaml: document 1 (Application web): spec.source.kind: invalid: "Jsonnet" is not Directory, Kustomize or Helm`,
			is:   ErrInvalid,
		},
		"flotilla unknown top-level field": {
			in:   "apiVersion: flotilla.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspecs: {}\n",
			want: "apps.yaml: document 1 (Project p): specs: unknown field",
			is:   ErrUnknownField,
		},
		"cluster with spec": {
			in:   "apiVersion: flotilla.dev/v1alpha1\nkind: Cluster\nmetadata: {name: c}\nspec: {labels: {a: b}}\n",
			want: "apps.yaml: document 1 (Cluster c): spec: unknown field: a Cluster has no spec (its labels are metadata.labels)",
			is:   ErrUnknownField,
		},
		"label not a string": {
			in:   strings.Replace(app, "{name: web}", "{name: web, labels: {canary: true}}", 1),
			want: "apps.yaml: document 1 (Application web): metadata.labels.canary: invalid: must be a string, not a boolean (quote it)",
			is:   ErrInvalid,
		},
		"list item": {
			in:   "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.Replace(app, "name: prod", "server: https://x", 1), "\n", "\n  "),
			want: "apps.yaml: document 1 (Application web): items[0].spec.destination.server: not supported: https://x: Flotilla addresses clusters by registered name (use destination.name)",
			is:   ErrNotSupported,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, errs := Parse("apps.yaml", []byte(tc.in))
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			var de *DocError
			if !errors.As(errs[0], &de) {
				t.Fatalf("%T is not a *DocError", errs[0])
			}
			if got := errs[0].Error(); got != tc.want {
				t.Errorf("error:\n got %s\nwant %s", got, tc.want)
			}
			if !errors.Is(errs[0], tc.is) {
				t.Errorf("%v is not %v", errs[0], tc.is)
			}
		})
	}
}

// TestEachDocument: a bad document does not stop the others.
func TestEachDocument(t *testing.T) {
	in := `# apps
---
apiVersion: flotilla.dev/v1alpha1
kind: Cluster
metadata: {name: prod-eu, labels: {env: prod}}
---
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
--- # a comment
apiVersion: flotilla.dev/v1alpha1
kind: Cluster
metadata: {name: prod-us}
...
`
	objs, errs := Parse("clusters.yaml", []byte(in))
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "clusters.yaml: document 3 (Deployment web): unknown kind") {
		t.Errorf("errors: %v", errs)
	}
	if len(objs) != 2 || objs[0].Index != 0 || objs[1].Index != 3 {
		t.Fatalf("objects: %+v", objs)
	}
	if c := objs[0].Cluster; c == nil || c.Name != "prod-eu" || c.Labels["env"] != "prod" || objs[0].Kind != KindCluster {
		t.Errorf("cluster 0: %+v", objs[0])
	}
	if c := objs[1].Cluster; c == nil || c.Name != "prod-us" || c.Labels != nil {
		t.Errorf("cluster 1: %+v", objs[1])
	}
}

func TestIsConfigKind(t *testing.T) {
	tests := map[string]struct {
		apiVersion, kind string
		want             bool
	}{
		"argo app":            {"argoproj.io/v1alpha1", "Application", true},
		"argo project":        {"argoproj.io/v1alpha1", "AppProject", true},
		"argo set":            {"argoproj.io/v1alpha1", "ApplicationSet", true},
		"argo other version":  {"argoproj.io/v1beta1", "Application", true},
		"argo Project":        {"argoproj.io/v1alpha1", "Project", false},
		"argo rollout":        {"argoproj.io/v1alpha1", "Rollout", false},
		"flotilla app":        {"flotilla.dev/v1alpha1", "Application", true},
		"flotilla project":    {"flotilla.dev/v1alpha1", "Project", true},
		"flotilla cluster":    {"flotilla.dev/v1alpha1", "Cluster", true},
		"flotilla set":        {"flotilla.dev/v1alpha1", "ApplicationSet", true},
		"flotilla AppProject": {"flotilla.dev/v1alpha1", "AppProject", false},
		"deployment":          {"apps/v1", "Deployment", false},
		"no version":          {"argoproj.io", "Application", false},
	}
	for name, tc := range tests {
		if got := IsConfigKind(tc.apiVersion, tc.kind); got != tc.want {
			t.Errorf("%s: IsConfigKind(%q, %q) = %v", name, tc.apiVersion, tc.kind, got)
		}
	}
}
