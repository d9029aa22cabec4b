package diff

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

type obj = unstructured.Unstructured

// container builds a path into the pod template's containers.
func container(i int, rest ...any) []any {
	return append([]any{"spec", "template", "spec", "containers", i}, rest...)
}

// managedEntry is a metadata.managedFields entry for manager owning fields.
func managedEntry(manager string, fields map[string]any) map[string]any {
	return map[string]any{
		"manager": manager, "operation": "Update", "apiVersion": "apps/v1",
		"fieldsType": "FieldsV1", "fieldsV1": fields,
	}
}

var sidecarJQ = `.spec.template.spec.containers[] | select(.name == "sidecar") | .image`

// TestCompare checks one Deployment pair, edited per case. Every OutOfSync
// case compares its diff with testdata/golden/<name>.diff.
func TestCompare(t *testing.T) {
	tests := map[string]struct {
		desired func(t *testing.T, u *obj) // edits the desired fixture
		live    func(t *testing.T, u *obj) // edits the live fixture
		noLive  bool
		noDesir bool
		rules   []IgnoreRule
		want    Status
	}{
		"server defaults are not drift": {want: Synced},
		"changed image": {
			desired: func(t *testing.T, u *obj) { set(t, u, "ghcr.io/example/web:1.5.0", container(0, "image")...) },
			want:    OutOfSync,
		},
		"changed replicas": {
			live: func(t *testing.T, u *obj) { set(t, u, int64(5), "spec", "replicas") },
			want: OutOfSync,
		},
		"changed args": {
			desired: func(t *testing.T, u *obj) { set(t, u, []any{"--port=8080"}, container(0, "args")...) },
			want:    OutOfSync,
		},
		"changed cpu limit": {
			desired: func(t *testing.T, u *obj) { set(t, u, "2", container(0, "resources", "limits", "cpu")...) },
			want:    OutOfSync,
		},
		"removed container": {
			desired: func(t *testing.T, u *obj) {
				set(t, u, []any{u.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0]},
					"spec", "template", "spec", "containers")
			},
			want: OutOfSync,
		},
		"container added in cluster": {
			live: func(t *testing.T, u *obj) {
				appendTo(t, u, map[string]any{"name": "debug", "image": "busybox"}, "spec", "template", "spec", "containers")
			},
			want: OutOfSync,
		},
		"added label": {
			desired: func(t *testing.T, u *obj) { set(t, u, "payments", "metadata", "labels", "team") },
			want:    OutOfSync,
		},
		"label added in cluster": {
			live: func(t *testing.T, u *obj) { set(t, u, "payments", "metadata", "labels", "team") },
			want: Synced,
		},
		"empty list in desired, null in live (stored as nothing)": {
			desired: func(t *testing.T, u *obj) { set(t, u, []any{}, container(0, "args")...) },
			live:    func(t *testing.T, u *obj) { set(t, u, nil, container(0, "args")...) },
			want:    Synced,
		},
		"empty map in desired, absent in live": {
			desired: func(t *testing.T, u *obj) { set(t, u, map[string]any{}, "spec", "template", "spec", "nodeSelector") },
			want:    Synced,
		},
		"zero values the API server drops are not drift": {
			desired: func(t *testing.T, u *obj) {
				set(t, u, false, "spec", "template", "spec", "hostNetwork")
				set(t, u, int64(0), "spec", "minReadySeconds")
				appendTo(t, u, map[string]any{"name": "EMPTY", "value": ""}, container(0, "env")...)
			},
			live: func(t *testing.T, u *obj) {
				appendTo(t, u, map[string]any{"name": "EMPTY"}, container(0, "env")...)
			},
			want: Synced,
		},
		"a zero value over a live one is drift": {
			desired: func(t *testing.T, u *obj) { set(t, u, false, "spec", "template", "spec", "hostNetwork") },
			live:    func(t *testing.T, u *obj) { set(t, u, true, "spec", "template", "spec", "hostNetwork") },
			want:    OutOfSync,
		},
		"empty list in desired clears a live list": {
			desired: func(t *testing.T, u *obj) { set(t, u, []any{}, container(0, "args")...) },
			live:    func(t *testing.T, u *obj) { set(t, u, []any{"--debug"}, container(0, "args")...) },
			want:    OutOfSync,
		},
		"null in desired keeps the live value": {
			desired: func(t *testing.T, u *obj) { set(t, u, nil, "spec", "strategy") },
			want:    Synced,
		},
		"status managedFields and server metadata ignored": {
			desired: func(t *testing.T, u *obj) {
				set(t, u, map[string]any{}, "status")
				set(t, u, nil, "metadata", "creationTimestamp")
			},
			live: func(t *testing.T, u *obj) {
				set(t, u, map[string]any{"replicas": int64(1), "readyReplicas": int64(0)}, "status")
				set(t, u, "99999", "metadata", "resourceVersion")
				set(t, u, int64(12), "metadata", "generation")
				set(t, u, "another-uid", "metadata", "uid")
				set(t, u, "/apis/apps/v1/namespaces/shop/deployments/web", "metadata", "selfLink")
				set(t, u, []any{managedEntry("someone", map[string]any{"f:spec": map[string]any{}})}, "metadata", "managedFields")
				set(t, u, `{"spec":{"replicas":99}}`, "metadata", "annotations", LastAppliedAnnotation)
			},
			want: Synced,
		},
		"ignore replicas by json pointer": {
			live:  func(t *testing.T, u *obj) { set(t, u, int64(5), "spec", "replicas") },
			rules: []IgnoreRule{{Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}}},
			want:  Synced,
		},
		"ignore annotation by json pointer with escaped slash": {
			live:  func(t *testing.T, u *obj) { set(t, u, "def456", "metadata", "annotations", "example.com/checksum") },
			rules: []IgnoreRule{{JSONPointers: []string{"/metadata/annotations/example.com~1checksum"}}},
			want:  Synced,
		},
		"unescaped slash in json pointer does not match": {
			live:  func(t *testing.T, u *obj) { set(t, u, "def456", "metadata", "annotations", "example.com/checksum") },
			rules: []IgnoreRule{{JSONPointers: []string{"/metadata/annotations/example.com/checksum"}}},
			want:  OutOfSync,
		},
		"ignore annotation by json pointer with escaped tilde": {
			desired: func(t *testing.T, u *obj) { set(t, u, "x", "metadata", "annotations", "odd~key") },
			live:    func(t *testing.T, u *obj) { set(t, u, "y", "metadata", "annotations", "odd~key") },
			rules:   []IgnoreRule{{JSONPointers: []string{"/metadata/annotations/odd~0key"}}},
			want:    Synced,
		},
		"ignore list element by json pointer index": {
			live:  func(t *testing.T, u *obj) { set(t, u, "ghcr.io/example/proxy:2.0.1", container(1, "image")...) },
			rules: []IgnoreRule{{JSONPointers: []string{"/spec/template/spec/containers/1/image"}}},
			want:  Synced,
		},
		"json pointers that lead nowhere are fine": {
			rules: []IgnoreRule{{JSONPointers: []string{"/spec/nothing/here", "/spec/template/spec/containers/7/image", "/spec/replicas/deeper"}}},
			want:  Synced,
		},
		"ignore sidecar image by jq": {
			live:  func(t *testing.T, u *obj) { set(t, u, "ghcr.io/example/proxy:2.0.1", container(1, "image")...) },
			rules: []IgnoreRule{{JQPathExpressions: []string{sidecarJQ}}},
			want:  Synced,
		},
		"jq selecting the sidecar does not hide the app image": {
			live:  func(t *testing.T, u *obj) { set(t, u, "ghcr.io/example/web:1.3.9", container(0, "image")...) },
			rules: []IgnoreRule{{JQPathExpressions: []string{sidecarJQ}}},
			want:  OutOfSync,
		},
		"jq over a field the object lacks selects nothing": {
			rules: []IgnoreRule{{JQPathExpressions: []string{".spec.template.spec.initContainers[] | .image"}}},
			want:  Synced,
		},
		"ignore replicas owned by hpa-controller": {
			live:  func(t *testing.T, u *obj) { set(t, u, int64(7), "spec", "replicas") },
			rules: []IgnoreRule{{Group: "apps", Kind: "Deployment", ManagedFieldsManagers: []string{"hpa-controller"}}},
			want:  Synced,
		},
		"another manager does not hide hpa replicas": {
			live:  func(t *testing.T, u *obj) { set(t, u, int64(7), "spec", "replicas") },
			rules: []IgnoreRule{{ManagedFieldsManagers: []string{"kube-controller-manager"}}},
			want:  OutOfSync,
		},
		"ignore container injected by a manager (k: key)": {
			live: func(t *testing.T, u *obj) {
				appendTo(t, u, map[string]any{"name": "istio-proxy", "image": "istio/proxyv2"}, "spec", "template", "spec", "containers")
				appendTo(t, u, managedEntry("sidecar-injector", fromYAML(t, `
f:spec:
  f:template:
    f:spec:
      f:containers:
        k:{"name":"istio-proxy"}:
          .: {}
          f:image: {}
          f:name: {}`)), "metadata", "managedFields")
			},
			rules: []IgnoreRule{{ManagedFieldsManagers: []string{"sidecar-injector"}}},
			want:  Synced,
		},
		"ignore finalizer added by a manager (v: value)": {
			desired: func(t *testing.T, u *obj) { set(t, u, []any{"example.com/keep"}, "metadata", "finalizers") },
			live: func(t *testing.T, u *obj) {
				set(t, u, []any{"example.com/keep", "example.com/cleanup"}, "metadata", "finalizers")
				appendTo(t, u, managedEntry("cleanup-controller", fromYAML(t, `
f:metadata:
  f:finalizers:
    v:"example.com/cleanup": {}`)), "metadata", "managedFields")
			},
			rules: []IgnoreRule{{ManagedFieldsManagers: []string{"cleanup-controller"}}},
			want:  Synced,
		},
		"missing": {noLive: true, want: OutOfSync},
		"extra":   {noDesir: true, want: OutOfSync},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			desired := loadOne(t, "deployment-desired.yaml")
			live := loadOne(t, "deployment-live.yaml")
			if tc.desired != nil {
				tc.desired(t, desired)
			}
			if tc.live != nil {
				tc.live(t, live)
			}
			if tc.noLive {
				live = nil
			}
			if tc.noDesir {
				desired = nil
			}
			dBefore, lBefore := desired.DeepCopy(), live.DeepCopy()

			got, err := Compare(context.Background(), desired, live, Options{Ignore: tc.rules})
			if err != nil {
				t.Fatal(err)
			}
			unchanged(t, "desired", dBefore, desired)
			unchanged(t, "live", lBefore, live)

			if got.Status != tc.want {
				t.Errorf("status %s, want %s; diff:\n%s", got.Status, tc.want, got.Diff)
			}
			if got.Missing != tc.noLive || got.Extra != tc.noDesir {
				t.Errorf("Missing=%v Extra=%v, want %v %v", got.Missing, got.Extra, tc.noLive, tc.noDesir)
			}
			if want := "apps/Deployment/shop/web"; got.ID.String() != want {
				t.Errorf("ID %s, want %s", got.ID, want)
			}
			if got.APIVersion != "apps/v1" {
				t.Errorf("APIVersion %q", got.APIVersion)
			}
			if tc.want == Synced {
				if got.Diff != "" {
					t.Errorf("Synced with a diff:\n%s", got.Diff)
				}
				return
			}
			golden(t, fileName(name), got.Diff)
		})
	}
}

// A Secret written with stringData is in sync with the live Secret (which
// holds it base64-encoded in data), and a diff never shows its values.
func TestSecretComparedAsStored(t *testing.T) {
	secret := func(fields map[string]any) *obj {
		o := map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "db", "namespace": "shop"}, "type": "Opaque"}
		for k, v := range fields {
			o[k] = v
		}
		return &obj{Object: o}
	}
	desired := secret(map[string]any{"stringData": map[string]any{"password": "hunter2"}, "data": map[string]any{"user": "YWRtaW4="}})
	live := secret(map[string]any{"data": map[string]any{"password": "aHVudGVyMg==", "user": "YWRtaW4="}})
	if r, err := Compare(context.Background(), desired, live, Options{}); err != nil || r.Status != Synced {
		t.Errorf("stringData vs the stored data: %s %v\n%s", r.Status, err, r.Diff)
	}
	// Changed in the cluster: the diff names the key, with different masks,
	// and shows neither value; the unchanged key keeps one mask.
	live.Object["data"].(map[string]any)["password"] = "b3RoZXI="
	r, err := Compare(context.Background(), desired, live, Options{})
	if err != nil || r.Status != OutOfSync {
		t.Fatalf("edited Secret: %s %v", r.Status, err)
	}
	for _, secretText := range []string{"hunter2", "aHVudGVyMg==", "b3RoZXI=", "YWRtaW4=", "admin", "other"} {
		if strings.Contains(r.Diff, secretText) {
			t.Errorf("diff shows %q:\n%s", secretText, r.Diff)
		}
	}
	if !strings.Contains(r.Diff, "-  password: +++") || !strings.Contains(r.Diff, "+  password: +++") || strings.Contains(r.Diff, "-  user:") {
		t.Errorf("diff should change password (masked) and keep user:\n%s", r.Diff)
	}
}

// Only what the API server really drops is not drift: the zero values of
// a built-in kind's omitempty fields. Pointer fields, map values, custom
// resources and items of atomic lists it does not default keep theirs.
func TestZeroValuesTheServerKeeps(t *testing.T) {
	parse := func(y string) *obj {
		t.Helper()
		var o obj
		if err := yaml.Unmarshal([]byte(y), &o.Object); err != nil {
			t.Fatal(err)
		}
		return &o
	}
	for name, c := range map[string]struct {
		desired, live string
		want          Status
	}{
		"omitempty bool dropped": {
			"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: false, containers: [{name: c, image: i}]}",
			"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}", Synced},
		"pointer bool kept": {
			"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {automountServiceAccountToken: false, containers: [{name: c, image: i}]}",
			"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}", OutOfSync},
		"empty map value kept": {
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: ''}",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {}", OutOfSync},
		"a field the Go type does not know stays": {
			"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {futureField: on-the-newest-servers, containers: [{name: c, image: i}]}",
			"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}", OutOfSync},
		"custom resource keeps zero values": {
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {enabled: false}",
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}", OutOfSync},
		"custom resource keeps empty lists": {
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {items: []}",
			"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {}", OutOfSync},
		"resourceNames removed from a ClusterRole rule": {
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]",
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [one]}]", OutOfSync},
		"empty rules read back null": {
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []",
			"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: null", Synced},
		"webhook rule scope defaulted": {
			"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: v}\nwebhooks: [{name: a.example.com, rules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}]",
			"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: v}\nwebhooks: [{name: a.example.com, rules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: '*'}]}]", Synced},
	} {
		r, err := Compare(context.Background(), parse(c.desired), parse(c.live), Options{})
		if err != nil || r.Status != c.want {
			t.Errorf("%s: %s %v, want %s\n%s", name, r.Status, err, c.want, r.Diff)
		}
	}
}
