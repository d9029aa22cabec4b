package deploy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// The chart renders, object for object, what Kustomize builds from the
// manifests the values stand for.
func TestChartMatchesKustomize(t *testing.T) {
	spoke := map[string]any{"enabled": true}
	cases := map[string]struct {
		values map[string]any
		want   []string // Kustomize directories; testdata/ ones are built on disk
	}{
		"hub by default": {nil, []string{Hub}},
		"spoke": {
			map[string]any{"hub": map[string]any{"enabled": false}, "spoke": spoke},
			[]string{Spoke},
		},
		"restricted spoke": {
			map[string]any{"hub": map[string]any{"enabled": false},
				"spoke": map[string]any{"enabled": true, "allowedNamespaces": []any{"flotilla-apps"}}},
			[]string{SpokeRestricted},
		},
		"hub with TLS": {
			map[string]any{"hub": map[string]any{"tls": map[string]any{"secretName": "flotilla-hub-tls"}}},
			[]string{"testdata/hub-tls"},
		},
		"hub and spoke": {map[string]any{"spoke": spoke}, []string{Hub, Spoke}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			want := map[string]map[string]any{}
			for _, dir := range tc.want {
				maps.Copy(want, objects(t, kustomize(t, dir)))
			}
			got := objects(t, renderChart(t, tc.values))
			if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
				t.Fatalf("objects:\n got  %v\n want %v", g, w)
			}
			for key, w := range want {
				if d := diff("", got[key], w); len(d) > 0 {
					t.Errorf("%s differs from Kustomize's at:\n  %s", key, strings.Join(d, "\n  "))
				}
			}
		})
	}
}

// field is one field of a rendered object: obj is "Kind namespace/name"
// (or "Kind name" when cluster-scoped), path is dotted (list indexes as
// numbers), want its value as JSON decodes it; nil wants it absent.
type field struct {
	obj, path string
	want      any
}

// adminToken is an admin token the hub accepts, with the newline a file
// given to --set-file ends with.
const adminToken = "0123456789abcdef0123456789abcdef\n"

// Each value reaches the field it documents.
func TestChartValues(t *testing.T) {
	const sts, dep = "StatefulSet flotilla-system/flotilla-hub", "Deployment flotilla-system/flotilla-spoke"
	const pod = "spec.template.spec"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := map[string]struct {
		values  map[string]any
		objects []string // when set, exactly the objects rendered
		fields  []field
	}{
		"hub image": {
			values: map[string]any{"hub": map[string]any{"image": map[string]any{"repository": "reg/hub", "tag": "v1", "pullPolicy": "IfNotPresent"}}},
			fields: []field{
				{sts, pod + ".containers.0.image", "reg/hub:v1"},
				{sts, pod + ".containers.0.imagePullPolicy", "IfNotPresent"},
			},
		},
		"hub resources merge with the defaults": {
			values: map[string]any{"hub": map[string]any{"resources": map[string]any{"limits": map[string]any{"memory": "8Gi", "cpu": 2}}}},
			fields: []field{
				{sts, pod + ".containers.0.resources.limits", map[string]any{"memory": "8Gi", "cpu": 2.0}},
				{sts, pod + ".containers.0.resources.requests.cpu", "250m"},
			},
		},
		"hub storage": {
			values: map[string]any{"hub": map[string]any{"storage": map[string]any{"size": "50Gi", "storageClassName": "fast"}}},
			fields: []field{
				{sts, "spec.volumeClaimTemplates.0.spec.resources.requests.storage", "50Gi"},
				{sts, "spec.volumeClaimTemplates.0.spec.storageClassName", "fast"},
			},
		},
		"hub extraArgs come after the TLS flags": {
			values: map[string]any{"hub": map[string]any{"tls": map[string]any{"secretName": "my-tls"}, "extraArgs": []any{"--poll-interval=1m"}}},
			fields: []field{
				{sts, pod + ".containers.0.args.4", "--tls-cert=/etc/flotilla/tls/tls.crt"},
				{sts, pod + ".containers.0.args.6", "--poll-interval=1m"},
				{sts, pod + ".containers.0.args.7", nil},
				{sts, pod + ".volumes.2.secret.secretName", "my-tls"},
			},
		},
		"hub Secret": {
			values:  map[string]any{"hub": map[string]any{"secret": map[string]any{"create": true, "adminToken": adminToken, "webhookSecret": "hook"}}},
			objects: []string{"PodDisruptionBudget flotilla-system/flotilla-hub", "Secret flotilla-system/flotilla-hub", "Service flotilla-system/flotilla-hub", "Service flotilla-system/flotilla-hub-pods", "ServiceAccount flotilla-system/flotilla-hub", sts},
			fields: []field{
				{"Secret flotilla-system/flotilla-hub", "data", map[string]any{"admin-token": b64(adminToken), "webhook-secret": b64("hook")}},
				{"Secret flotilla-system/flotilla-hub", "metadata.labels.app\\.kubernetes\\.io/component", "hub"},
			},
		},
		"hub Secret without a webhook secret": {
			values: map[string]any{"hub": map[string]any{"secret": map[string]any{"create": true, "adminToken": adminToken}}},
			fields: []field{{"Secret flotilla-system/flotilla-hub", "data", map[string]any{"admin-token": b64(adminToken)}}},
		},
		"hub scheduling": {
			values: map[string]any{"hub": map[string]any{"nodeSelector": map[string]any{"pool": "infra"},
				"tolerations": []any{map[string]any{"key": "infra", "operator": "Exists", "effect": "NoSchedule"}}}},
			fields: []field{
				{sts, pod + ".nodeSelector", map[string]any{"pool": "infra"}},
				{sts, pod + ".tolerations.0.key", "infra"},
			},
		},
		"spoke ConfigMap, Secret and namespaces": {
			values: map[string]any{"hub": map[string]any{"enabled": false}, "spoke": map[string]any{
				"enabled": true, "hubAddress": "hub.example:7443", "token": "tok",
				"params":            map[string]any{"FLOTILLA_SPOKE_INSECURE": "true"},
				"allowedNamespaces": []any{"team-a", "team-b"},
				"image":             map[string]any{"tag": "v2", "pullPolicy": "Always"},
				"extraArgs":         []any{"--log-level=debug"},
			}},
			objects: []string{
				"ClusterRole flotilla-spoke-namespaced", "ConfigMap flotilla-system/flotilla-spoke", dep,
				"RoleBinding team-a/flotilla-spoke", "RoleBinding team-b/flotilla-spoke",
				"Secret flotilla-system/flotilla-spoke", "ServiceAccount flotilla-system/flotilla-spoke",
			},
			fields: []field{
				{"ConfigMap flotilla-system/flotilla-spoke", "data", map[string]any{"FLOTILLA_SPOKE_HUB": "hub.example:7443", "FLOTILLA_SPOKE_INSECURE": "true"}},
				{"Secret flotilla-system/flotilla-spoke", "data", map[string]any{"token": b64("tok")}},
				{dep, pod + ".containers.0.env", []any{map[string]any{"name": "FLOTILLA_SPOKE_ALLOWED_NAMESPACES", "value": "team-a,team-b"}}},
				{dep, pod + ".containers.0.image", "ghcr.io/flotilla-gitops/flotilla-spoke:v2"},
				{dep, pod + ".containers.0.imagePullPolicy", "Always"},
				{dep, pod + ".containers.0.args.3", "--log-level=debug"},
				{"RoleBinding team-b/flotilla-spoke", "subjects.0.namespace", "flotilla-system"},
			},
		},
		"spoke scheduling and resources": {
			values: map[string]any{"hub": map[string]any{"enabled": false}, "spoke": map[string]any{
				"enabled": true, "nodeSelector": map[string]any{"kubernetes.io/os": "linux"},
				"resources": map[string]any{"limits": map[string]any{"memory": nil}},
			}},
			fields: []field{
				{dep, pod + ".nodeSelector", map[string]any{"kubernetes.io/os": "linux"}},
				{dep, pod + ".containers.0.resources", map[string]any{"limits": map[string]any{}, "requests": map[string]any{"cpu": "100m", "memory": "128Mi"}}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := objects(t, renderChart(t, tc.values))
			if tc.objects != nil {
				if g := slices.Sorted(maps.Keys(got)); !slices.Equal(g, tc.objects) {
					t.Errorf("objects:\n got  %v\n want %v", g, tc.objects)
				}
			}
			for _, f := range tc.fields {
				obj, ok := got[f.obj]
				if !ok {
					t.Errorf("no %s", f.obj)
					continue
				}
				if v := lookup(obj, f.path); !reflect.DeepEqual(v, f.want) {
					t.Errorf("%s %s = %#v, want %#v", f.obj, f.path, v, f.want)
				}
			}
		})
	}
}

// A misspelt or misplaced value, or values that would be ignored, fail the
// render with an error naming them.
func TestChartRefuses(t *testing.T) {
	spoke := func(kv ...any) map[string]any {
		s := map[string]any{"enabled": true}
		for i := 0; i < len(kv); i += 2 {
			s[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"spoke": s}
	}
	cases := map[string]struct {
		values map[string]any
		want   []string // each in the error
	}{
		"unknown top-level key":        {map[string]any{"hubb": map[string]any{}}, []string{"hubb"}},
		"hub.replicas":                 {map[string]any{"hub": map[string]any{"replicas": 2}}, []string{"replicas"}},
		"hub.image.tagg":               {map[string]any{"hub": map[string]any{"image": map[string]any{"tagg": "v1"}}}, []string{"tagg"}},
		"hub.storage.class":            {map[string]any{"hub": map[string]any{"storage": map[string]any{"class": "x"}}}, []string{"class"}},
		"hub.resources.limit":          {map[string]any{"hub": map[string]any{"resources": map[string]any{"limit": map[string]any{}}}}, []string{"limit"}},
		"hub toleration misspelt":      {map[string]any{"hub": map[string]any{"tolerations": []any{map[string]any{"key": "k", "efect": "NoSchedule"}}}}, []string{"efect"}},
		"hub.enabled as a string":      {map[string]any{"hub": map[string]any{"enabled": "false"}}, []string{"enabled"}},
		"extraArgs with a bare word":   {map[string]any{"hub": map[string]any{"extraArgs": []any{"--poll-interval", "1m"}}}, []string{"extraArgs"}},
		"hub Secret without token":     {map[string]any{"hub": map[string]any{"secret": map[string]any{"create": true}}}, []string{"hub.secret.adminToken is empty"}},
		"hub admin token too short":    {map[string]any{"hub": map[string]any{"secret": map[string]any{"create": true, "adminToken": "short"}}}, []string{"adminToken"}},
		"hub token but no Secret":      {map[string]any{"hub": map[string]any{"secret": map[string]any{"adminToken": adminToken}}}, []string{"hub.secret.create"}},
		"spoke.hubAdress":              {spoke("hubAdress", "h:1"), []string{"hubAdress"}},
		"spoke params without hub":     {spoke("params", map[string]any{"FLOTILLA_SPOKE_INSECURE": "true"}), []string{"spoke.params needs spoke.hubAddress"}},
		"spoke param without prefix":   {spoke("hubAddress", "h:1", "params", map[string]any{"insecure": "true"}), []string{"insecure"}},
		"spoke param the chart sets":   {spoke("hubAddress", "h:1", "params", map[string]any{"FLOTILLA_SPOKE_TOKEN_FILE": "/t"}), []string{"FLOTILLA_SPOKE_TOKEN_FILE"}},
		"spoke param not a string":     {spoke("hubAddress", "h:1", "params", map[string]any{"FLOTILLA_SPOKE_INSECURE": true}), []string{"FLOTILLA_SPOKE_INSECURE"}},
		"spoke namespace glob":         {spoke("allowedNamespaces", []any{"team-*"}), []string{"allowedNamespaces"}},
		"spoke namespace twice":        {spoke("allowedNamespaces", []any{"a", "a"}), []string{"allowedNamespaces"}},
		"spoke namespaces in two ways": {spoke("hubAddress", "h:1", "allowedNamespaces", []any{"a"}, "params", map[string]any{"FLOTILLA_SPOKE_ALLOWED_NAMESPACES": "b"}), []string{"FLOTILLA_SPOKE_ALLOWED_NAMESPACES and spoke.allowedNamespaces"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := RenderChart(tc.values)
			if err == nil {
				t.Fatalf("rendered:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q: %v", w, err)
				}
			}
		})
	}
}

// Every object of the schema lists its keys (additionalProperties false) or
// types every value of a map (nodeSelector, params, quantities): none
// accepts a key it would ignore.
func TestChartSchemaClosed(t *testing.T) {
	b, err := os.ReadFile(path.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var walk func(at string, node any)
	objectsSeen := 0
	walk = func(at string, node any) {
		switch n := node.(type) {
		case map[string]any:
			if n["type"] == "object" {
				objectsSeen++
				if _, ok := n["additionalProperties"]; !ok {
					t.Errorf("%s: an object without additionalProperties", at)
				}
			}
			for k, v := range n {
				walk(at+"/"+k, v)
			}
		case []any:
			for i, v := range n {
				walk(at+"/"+strconv.Itoa(i), v)
			}
		}
	}
	walk("#", schema)
	if objectsSeen < 10 {
		t.Errorf("only %d objects in the schema", objectsSeen)
	}
}

// helm lint (strict) finds nothing to warn about; it does see a bad value.
func TestChartLint(t *testing.T) {
	cases := map[string]struct {
		values  map[string]any
		wantErr string
	}{
		"defaults":   {nil, ""},
		"spoke only": {map[string]any{"hub": map[string]any{"enabled": false}, "spoke": map[string]any{"enabled": true}}, ""},
		"restricted spoke": {map[string]any{"hub": map[string]any{"enabled": false},
			"spoke": map[string]any{"enabled": true, "allowedNamespaces": []any{"flotilla-apps"}}}, ""},
		"misspelt value": {map[string]any{"hub": map[string]any{"replicas": 2}}, "replicas"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			msgs := lintChart(tc.values)
			if tc.wantErr == "" {
				for _, m := range msgs {
					t.Errorf("lint: %s", m)
				}
				return
			}
			if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, tc.wantErr) }) {
				t.Errorf("lint does not name %q: %v", tc.wantErr, msgs)
			}
		})
	}
}

// NOTES.txt tells what the chart left to do, and only that.
func TestChartNotes(t *testing.T) {
	cases := map[string]struct {
		values        map[string]any
		want, notWant []string
	}{
		"hub by default": {
			values:  nil,
			want:    []string{"create secret generic flotilla-hub", "get service flotilla-hub", "flotilla-hub.flotilla-system.svc:7443", "plaintext"},
			notWant: []string{"flotilla-spoke"},
		},
		"hub with its Secret and TLS": {
			values:  map[string]any{"hub": map[string]any{"tls": map[string]any{"secretName": "t"}, "secret": map[string]any{"create": true, "adminToken": adminToken}}},
			want:    []string{"get service flotilla-hub", "TLS from the Secret t"},
			notWant: []string{"create secret generic flotilla-hub", "plaintext"},
		},
		"spoke with nothing given": {
			values:  map[string]any{"hub": map[string]any{"enabled": false}, "spoke": map[string]any{"enabled": true}},
			want:    []string{"create configmap flotilla-spoke", "FLOTILLA_SPOKE_HUB=HUB_HOST:7443", "create secret generic flotilla-spoke"},
			notWant: []string{"flotilla-hub"},
		},
		"hub and spoke": {
			values:  map[string]any{"spoke": map[string]any{"enabled": true}},
			want:    []string{"FLOTILLA_SPOKE_HUB=flotilla-hub.flotilla-system.svc:7443"},
			notWant: []string{"HUB_HOST"},
		},
		"spoke with all given": {
			values:  map[string]any{"hub": map[string]any{"enabled": false}, "spoke": map[string]any{"enabled": true, "hubAddress": "h:1", "token": "t"}},
			want:    []string{"rollout status deployment/flotilla-spoke"},
			notWant: []string{"create configmap", "create secret"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			files, err := renderChartFiles(tc.values)
			if err != nil {
				t.Fatal(err)
			}
			notes := files["flotilla/templates/NOTES.txt"]
			for _, w := range tc.want {
				if !strings.Contains(notes, w) {
					t.Errorf("NOTES.txt lacks %q:\n%s", w, notes)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(notes, w) {
					t.Errorf("NOTES.txt has %q:\n%s", w, notes)
				}
			}
		})
	}
}

func renderChart(t *testing.T, values map[string]any) []byte {
	t.Helper()
	out, err := RenderChart(values)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kustomize builds an embedded directory, or one of testdata/ from disk.
func kustomize(t *testing.T, dir string) []byte {
	t.Helper()
	if !strings.HasPrefix(dir, "testdata/") {
		out, err := Build(dir)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// objects parses a YAML stream into objects keyed "Kind namespace/name"
// ("Kind name" when cluster-scoped), as JSON decodes them.
func objects(t *testing.T, stream []byte) map[string]map[string]any {
	t.Helper()
	objs := map[string]map[string]any{}
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	for {
		var o map[string]any
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%v in:\n%s", err, stream)
		}
		if o == nil {
			continue
		}
		name := fmt.Sprint(lookup(o, "metadata.name"))
		if ns, ok := lookup(o, "metadata.namespace").(string); ok {
			name = ns + "/" + name
		}
		key := fmt.Sprintf("%s %s", o["kind"], name)
		if _, dup := objs[key]; dup {
			t.Fatalf("%s twice", key)
		}
		objs[key] = o
	}
}

// lookup returns the field at a dotted path ("\." is a dot in a key), or nil.
func lookup(v any, p string) any {
	for _, k := range strings.Split(strings.ReplaceAll(p, `\.`, "\x00"), ".") {
		k = strings.ReplaceAll(k, "\x00", ".")
		switch n := v.(type) {
		case map[string]any:
			v = n[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(n) {
				return nil
			}
			v = n[i]
		default:
			return nil
		}
	}
	return v
}

// diff lists the paths where got and want differ.
func diff(at string, got, want any) []string {
	g, gok := got.(map[string]any)
	w, wok := want.(map[string]any)
	if gok && wok {
		keys := slices.Collect(maps.Keys(g))
		for k := range w {
			if _, ok := g[k]; !ok {
				keys = append(keys, k)
			}
		}
		var d []string
		for _, k := range slices.Sorted(slices.Values(keys)) {
			d = append(d, diff(at+"."+k, g[k], w[k])...)
		}
		return d
	}
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok && wok && len(gl) == len(wl) {
		var d []string
		for i := range gl {
			d = append(d, diff(at+"."+strconv.Itoa(i), gl[i], wl[i])...)
		}
		return d
	}
	if !reflect.DeepEqual(got, want) {
		return []string{fmt.Sprintf("%s: %v, want %v", at, got, want)}
	}
	return nil
}

// lintChart runs helm lint over the chart's directory and returns its
// messages of severity warning or worse (what --strict fails on).
func lintChart(values map[string]any) []string {
	var msgs []string
	for _, m := range lint.All(chartDir, values, chartNamespace, false).Messages {
		if m.Severity >= support.WarningSev {
			msgs = append(msgs, m.Error())
		}
	}
	return msgs
}
