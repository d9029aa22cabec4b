package render

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// TestHelmParity renders the charts under testdata/helmparity through
// pkg/render and through Helm's own pipeline, printed as `helm template`
// prints it and read back as Argo CD and kubectl read it, and wants the
// same objects in the same order, every string equal byte for byte.
//
// The chart's edge cases: block scalars (|, |-, |+, >, |2) ending a
// template document and in the middle of one; a template without a final
// newline; several documents in one template, from --- and from a range
// loop; a template ending in {{- end }}; CRLF line ends; empty documents
// between ---s; a document of comments only; templates that render only
// comments or whitespace; NOTES.txt (also a subchart's) holding YAML;
// hooks, test hooks and --skip-tests; CRD files of several documents
// (--include-crds); and a chart of CRDs and hooks only, whose manifest
// `helm template` trims at its end.
func TestHelmParity(t *testing.T) {
	tests := map[string]struct {
		chart string
		opts  HelmOptions
		// pins are values helm gives (metadata.name → data key → value), so
		// that the fixture keeps testing what it says it does.
		pins map[string]map[string]string
	}{
		"defaults": {
			chart: "chart",
			pins: map[string]map[string]string{
				"release-name-exporter": {"config.yml": "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n"},
				"blocks-middle": {"clip": "one\ntwo\n", "strip": "three", "keep": "four\n\n\n", "folded": "five six\n",
					"dashes": "----\n---\ntext\n", "indented": "  leading spaces\n", "last": "end\n"},
				"strip-end":         {"last": "end"},
				"keep-end":          {"last": "end\n"},
				"clip-end-spaces":   {"last": "end\n"}, // helm trims the document,
				"folded-end":        {"last": "folded end\n"},
				"indented-end":      {"last": "  leading spaces\n"},
				"no-eol":            {"last": "end\n"},
				"if-end":            {"script": "#!/bin/sh\necho hi\n"},
				"loop-a":            {"body": "a\n"},
				"loop-b":            {"body": "b\n"},
				"crlf-clip":         {"middle": "a\nb\n", "quoted": "x y", "last": "end\n"},
				"crlf-keep":         {"last": "end\n"},
				"release-name-pre":  {"run.sh": "echo pre\n"},
				"release-name-post": {"keep": "echo post\n"},
			},
		},
		"release, namespace, CRDs, no tests": {
			chart: "chart",
			opts:  HelmOptions{ReleaseName: "parity", Namespace: "apps", IncludeCRDs: true, SkipTests: true},
			pins: map[string]map[string]string{
				"parity-exporter": {"config.yml": "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n"},
			},
		},
		"CRDs and hooks only": {
			chart: "crdonly",
			opts:  HelmOptions{IncludeCRDs: true},
			pins:  map[string]map[string]string{"release-name-hook": {"last": "hook\n"}},
		},
		"hooks only": {
			chart: "crdonly",
			pins:  map[string]map[string]string{"release-name-hook": {"last": "hook\n"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := renderAt(t, "testdata/helmparity", Source{Path: tc.chart, Kind: Helm, Helm: tc.opts})
			if err != nil {
				t.Fatal(err)
			}
			text := helmTemplate(t, filepath.Join("testdata", "helmparity", tc.chart), tc.opts)
			want := readManifests(t, text)
			checkPins(t, want, tc.pins)
			if got, wantIDs := objectIDs(res.Objects), objectIDs(want); !slices.Equal(got, wantIDs) {
				t.Fatalf("objects:\n got %v\nwant %v (helm template)", got, wantIDs)
			}
			for i, w := range want {
				g := res.Objects[i]
				if reflect.DeepEqual(g.Object, w.Object) {
					continue
				}
				gl, wl := leaves(g.Object), leaves(w.Object)
				for _, k := range slices.Sorted(maps.Keys(union(gl, wl))) {
					if gl[k] != wl[k] {
						t.Errorf("%s %s:\n got %s\nwant %s (helm template)", object.IDOf(w), k, gl[k], wl[k])
					}
				}
			}
		})
	}
}

// helmTemplate is the text `helm template` prints for the chart at dir:
// Helm's own loader and install action, then cmd/helm/template.go's output
// (the manifest trimmed and ended by a newline, then each hook), with
// nothing of pkg/render in it.
func helmTemplate(t *testing.T, dir string, opts HelmOptions) string {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName = cmp.Or(opts.ReleaseName, "release-name")
	inst.Namespace = cmp.Or(opts.Namespace, "default")
	inst.IncludeCRDs = opts.IncludeCRDs
	if inst.KubeVersion, err = chartutil.ParseKubeVersion(DefaultKubeVersion); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rel, err := inst.RunWithContext(ctx, ch, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintln(&b, strings.TrimSpace(rel.Manifest))
	for _, h := range rel.Hooks {
		if opts.SkipTests && slices.Contains(h.Events, release.HookTest) {
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	return b.String()
}

// readManifests reads a YAML stream as Argo CD reads `helm template`'s
// output (gitops-engine's kube.SplitYAML, after kubectl): apimachinery's
// YAML reader and its conversion to JSON.
func readManifests(t *testing.T, text string) []*unstructured.Unstructured {
	t.Helper()
	d := kyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	var out []*unstructured.Unstructured
	for {
		var ext runtime.RawExtension
		if err := d.Decode(&ext); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("reading helm template output: %v\n%s", err, text)
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			t.Fatalf("reading helm template output: %v\n%s", err, raw)
		}
		out = append(out, u)
	}
}

func checkPins(t *testing.T, objs []*unstructured.Unstructured, pins map[string]map[string]string) {
	t.Helper()
	for name, data := range pins {
		i := slices.IndexFunc(objs, func(u *unstructured.Unstructured) bool { return u.GetName() == name })
		if i < 0 {
			t.Errorf("helm template has no object %s", name)
			continue
		}
		for k, want := range data {
			if got, _, _ := unstructured.NestedString(objs[i].Object, "data", k); got != want {
				t.Errorf("helm template: %s data.%s = %q, the fixture expects %q", name, k, got, want)
			}
		}
	}
}

func objectIDs(objs []*unstructured.Unstructured) []string {
	var ids []string
	for _, o := range objs {
		ids = append(ids, object.IDOf(o).String())
	}
	return ids
}

// leaves maps each scalar's path in v to its Go value, quoted so that
// strings show every byte.
func leaves(v any) map[string]string {
	out := map[string]string{}
	var walk func(p string, v any)
	walk = func(p string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(p+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", p, i), e)
			}
		default:
			out[p] = fmt.Sprintf("%#v", v)
		}
	}
	walk("", v)
	return out
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestHelmErrorsNameTheFile: an object Helm renders but cannot be applied
// is reported with the chart file it came from, also in a CRD file of
// several documents and in a hook.
func TestHelmErrorsNameTheFile(t *testing.T) {
	const chart = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
	tests := map[string]struct {
		files   map[string]string
		opts    HelmOptions
		wantMsg string
	}{
		"template": {
			files:   map[string]string{"c/templates/cm.yaml": fmt.Sprintf(cm, "a") + "---\napiVersion: v1\nkind: ConfigMap\n"},
			wantMsg: "c/templates/cm.yaml",
		},
		"second document of a CRD file": {
			files:   map[string]string{"c/crds/x.yaml": "---\n" + fmt.Sprintf(cm, "a") + "---\napiVersion: v1\nkind: ConfigMap\n"},
			opts:    HelmOptions{IncludeCRDs: true},
			wantMsg: "crds/x.yaml",
		},
		"hook": {
			files:   map[string]string{"c/templates/hook.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations: {helm.sh/hook: pre-install}\n"},
			wantMsg: "c/templates/hook.yaml",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.files["c/Chart.yaml"] = chart
			_, err := renderAt(t, writeTree(t, tc.files), Source{Path: "c", Kind: Helm, Helm: tc.opts})
			if !errors.Is(err, object.ErrIncomplete) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("err = %v, want %v naming %s", err, object.ErrIncomplete, tc.wantMsg)
			}
		})
	}
}
