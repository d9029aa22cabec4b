package render

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

const overrideDeploy = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: nginx:1.0
      - name: side
        image: busybox
`

// overrideTree is an application (app/) over a base, and a patch file
// outside the application's directory, inside the repository.
func overrideTree(kustomization string) map[string]string {
	return map[string]string{
		"base/kustomization.yaml": "resources: [deploy.yaml, cm.yaml]\n",
		"base/deploy.yaml":        overrideDeploy,
		"base/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {color: blue}\n",
		"app/kustomization.yaml":  kustomization,
		"patches/cm.yaml":         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {color: red}\n",
	}
}

// TestKustomizeOverridesLikeKustomizeEdit: each override renders exactly
// what krusty renders for the kustomization `kustomize edit` (as Argo CD
// runs it) would have written.
func TestKustomizeOverridesLikeKustomizeEdit(t *testing.T) {
	tests := map[string]struct {
		kz   string // the application's kustomization
		opts KustomizeOptions
		want string // the kustomization kustomize edit would leave
		// a fragment the output must hold
		check string
	}{
		"namePrefix replaces the kustomization's": {
			kz: "resources: [../base]\nnamePrefix: old-\n", opts: KustomizeOptions{NamePrefix: "new-"},
			want: "resources: [../base]\nnamePrefix: new-\n", check: "name: new-web",
		},
		"nameSuffix": {
			kz: "resources: [../base]\n", opts: KustomizeOptions{NameSuffix: "-east"},
			want: "resources: [../base]\nnameSuffix: -east\n", check: "name: settings-east",
		},
		"images: new name and tag, tag, digest": {
			kz: "resources: [../base]\n", opts: KustomizeOptions{Images: []string{"nginx=registry.example/nginx:2.0", "busybox@sha256:" + strings.Repeat("a", 64)}},
			want:  "resources: [../base]\nimages:\n- {name: busybox, digest: sha256:" + strings.Repeat("a", 64) + "}\n- {name: nginx, newName: registry.example/nginx, newTag: '2.0'}\n",
			check: "image: registry.example/nginx:2.0",
		},
		"images: replace the kustomization's entry, * keeps its new name": {
			kz:    "resources: [../base]\nimages:\n- {name: nginx, newName: mirror/nginx, newTag: '1.1'}\n- {name: redis, newTag: '7'}\n",
			opts:  KustomizeOptions{Images: []string{"nginx=*:1.5"}},
			want:  "resources: [../base]\nimages:\n- {name: nginx, newName: mirror/nginx, newTag: '1.5'}\n- {name: redis, newTag: '7'}\n",
			check: "image: mirror/nginx:1.5",
		},
		"replicas replace the kustomization's of that name": {
			kz: "resources: [../base]\nreplicas:\n- {name: web, count: 2}\n", opts: KustomizeOptions{Replicas: []KustomizeReplica{{Name: "web", Count: 3}}},
			want: "resources: [../base]\nreplicas:\n- {name: web, count: 3}\n", check: "replicas: 3",
		},
		"commonLabels include selectors": {
			kz: "resources: [../base]\ncommonLabels: {tier: web}\n", opts: KustomizeOptions{CommonLabels: map[string]string{"team": "a"}},
			want: "resources: [../base]\ncommonLabels: {tier: web, team: a}\n", check: "matchLabels:\n      app: web\n      team: a",
		},
		"commonAnnotations": {
			kz: "resources: [../base]\n", opts: KustomizeOptions{CommonAnnotations: map[string]string{"example.com/owner": "ops"}},
			want: "resources: [../base]\ncommonAnnotations: {example.com/owner: ops}\n", check: "example.com/owner: ops",
		},
		"namespace": {
			kz: "resources: [../base]\nnamespace: old\n", opts: KustomizeOptions{Namespace: "apps"},
			want: "resources: [../base]\nnamespace: apps\n", check: "namespace: apps",
		},
		"patches after the kustomization's own: inline with a target, and a file": {
			kz: "resources: [../base]\npatches:\n- patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 2}]'\n  target: {kind: Deployment}\n",
			opts: KustomizeOptions{Patches: []KustomizePatch{
				{Patch: `[{"op": "replace", "path": "/spec/replicas", "value": 4}]`, Target: &KustomizeSelector{Kind: "Deployment", Name: "web"}},
				{Path: "../patches/cm.yaml"},
			}},
			want: "resources: [../base]\npatches:\n- patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 2}]'\n  target: {kind: Deployment}\n" +
				"- patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 4}]'\n  target: {kind: Deployment, name: web}\n" +
				"- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: settings\n    data: {color: red}\n",
			check: "replicas: 4",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := renderAt(t, writeTree(t, overrideTree(tc.kz)), Source{Path: "app", Kustomize: tc.opts})
			if err != nil {
				t.Fatal(err)
			}
			want, err := renderAt(t, writeTree(t, overrideTree(tc.want)), Source{Path: "app"})
			if err != nil {
				t.Fatal(err)
			}
			gy, wy := encode(t, got.Objects), encode(t, want.Objects)
			if gy != wy {
				t.Errorf("with overrides:\n%s\nkustomize edit's kustomization:\n%s", gy, wy)
			}
			if !strings.Contains(gy, tc.check) {
				t.Errorf("output lacks %q:\n%s", tc.check, gy)
			}
		})
	}
}

func encode(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	b, err := object.EncodeYAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKustomizeOverridesRefused(t *testing.T) {
	tests := map[string]struct {
		files   map[string]string
		src     Source
		wantErr error
		wantMsg string
	}{
		"bad image": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{Images: []string{"nginx:1", "nginx"}}},
			wantMsg: `source.kustomize.images[1]: "nginx": want NAME:TAG`,
		},
		"image without a name": {
			src: Source{Path: "app", Kustomize: KustomizeOptions{Images: []string{"=x:1"}}}, wantMsg: "source.kustomize.images[0]",
		},
		"negative replicas": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{Replicas: []KustomizeReplica{{Name: "web", Count: -1}}}},
			wantMsg: "source.kustomize.replicas[0].count -1: must not be negative",
		},
		"patch with neither patch nor path": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{Patches: []KustomizePatch{{Patch: "{}"}, {}}}},
			wantMsg: "source.kustomize.patches[1]: want patch (inline) or path",
		},
		"malformed label key": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{CommonLabels: map[string]string{"bad key": "x"}}},
			wantMsg: `source.kustomize.commonLabels[bad key]: key "bad key"`,
		},
		"bad label value": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{CommonLabels: map[string]string{"team": "a b"}}},
			wantMsg: `source.kustomize.commonLabels[team]: value "a b"`,
		},
		"bad namespace": {
			src: Source{Path: "app", Kustomize: KustomizeOptions{Namespace: "Apps"}}, wantMsg: `source.kustomize.namespace "Apps"`,
		},
		"label the kustomization sets (kustomize edit add label without --force)": {
			files:   overrideTree("resources: [../base]\ncommonLabels: {team: b}\n"),
			src:     Source{Path: "app", Kustomize: KustomizeOptions{CommonLabels: map[string]string{"team": "a"}}},
			wantMsg: "source.kustomize.commonLabels[team]: app/kustomization.yaml sets commonLabels team already",
		},
		"patch path leaving the repository": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{Patches: []KustomizePatch{{Path: "../../etc/passwd"}}}},
			wantErr: ErrEscape, wantMsg: "source.kustomize.patches[0].path",
		},
		"patch path through a remote URL": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{Patches: []KustomizePatch{{Path: "https://example.com/p.yaml"}}}},
			wantMsg: "source.kustomize.patches[0].path",
		},
		"patch file missing": {
			src:     Source{Path: "app", Kustomize: KustomizeOptions{Patches: []KustomizePatch{{Path: "nope.yaml"}}}},
			wantMsg: "source.kustomize.patches[0].path: app/nope.yaml",
		},
		"overrides on a Directory source": {
			files:   map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"},
			src:     Source{Path: "app", Kustomize: KustomizeOptions{NamePrefix: "p-"}},
			wantMsg: "source.kustomize: path app is a Directory source",
		},
		"overrides on an explicit Helm source": {
			src:     Source{Path: "app", Kind: Helm, Kustomize: KustomizeOptions{NamePrefix: "p-"}},
			wantMsg: "source.kustomize: path app is a Helm source",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			files := tc.files
			if files == nil {
				files = overrideTree("resources: [../base]\n")
			}
			res, err := renderAt(t, writeTree(t, files), tc.src)
			if err == nil {
				t.Fatalf("no error; rendered %d objects", len(res.Objects))
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q is not %v", err, tc.wantErr)
			}
		})
	}
}

// TestKustomizeOverridesKeepTheSandbox: the rewritten kustomization is
// checked as the user's: its remote bases are still refused.
func TestKustomizeOverridesKeepTheSandbox(t *testing.T) {
	dir := writeTree(t, map[string]string{"app/kustomization.yaml": "resources:\n  - github.com/example/repo//config?ref=v1\n"})
	repo, closeFn, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	_, err = Render(context.Background(), repo, Source{Path: "app", Kustomize: KustomizeOptions{NamePrefix: "p-"}}, DefaultLimits())
	if !errors.Is(err, ErrRemoteBase) {
		t.Fatalf("err = %v, want %v", err, ErrRemoteBase)
	}
}
