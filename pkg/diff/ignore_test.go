package diff

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestIgnoreRuleMatching ignores /spec/replicas (which differs) with rules
// selecting, or not, the Deployment shop/web of group apps.
func TestIgnoreRuleMatching(t *testing.T) {
	tests := map[string]struct {
		rules []IgnoreRule
		want  Status
	}{
		"all selectors match":    {rules: []IgnoreRule{{Group: "apps", Kind: "Deployment", Name: "web", Namespace: "shop"}}, want: Synced},
		"empty selectors match":  {rules: []IgnoreRule{{}}, want: Synced},
		"kind wildcard":          {rules: []IgnoreRule{{Group: "apps", Kind: "*"}}, want: Synced},
		"wrong group":            {rules: []IgnoreRule{{Group: "extensions", Kind: "Deployment"}}, want: OutOfSync},
		"wrong kind":             {rules: []IgnoreRule{{Group: "apps", Kind: "StatefulSet"}}, want: OutOfSync},
		"wrong name":             {rules: []IgnoreRule{{Kind: "Deployment", Name: "api"}}, want: OutOfSync},
		"wrong namespace":        {rules: []IgnoreRule{{Kind: "Deployment", Namespace: "default"}}, want: OutOfSync},
		"kind is case sensitive": {rules: []IgnoreRule{{Kind: "deployment"}}, want: OutOfSync},
		"second rule matches": {
			rules: []IgnoreRule{{Name: "api"}, {Namespace: "shop", Name: "web"}},
			want:  Synced,
		},
		"no rules": {want: OutOfSync},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			desired := loadOne(t, "deployment-desired.yaml")
			live := loadOne(t, "deployment-live.yaml")
			set(t, live, int64(5), "spec", "replicas")
			for i := range tc.rules {
				tc.rules[i].JSONPointers = []string{"/spec/replicas"}
			}
			got, err := Compare(context.Background(), desired, live, Options{Ignore: tc.rules})
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.want {
				t.Errorf("status %s, want %s", got.Status, tc.want)
			}
		})
	}
}

func TestCompareRuleErrors(t *testing.T) {
	tests := map[string]struct {
		rule    IgnoreRule
		wantErr error
		wantMsg string
	}{
		"invalid jq": {
			rule:    IgnoreRule{Kind: "Deployment", JQPathExpressions: []string{".spec.template.spec.containers[] | select(.name =="}},
			wantErr: ErrInvalidRule,
			wantMsg: `jq path expression ".spec.template.spec.containers[] | select(.name =="`,
		},
		"jq escaping path()": {
			rule:    IgnoreRule{JQPathExpressions: []string{".a) | (.b"}},
			wantErr: ErrInvalidRule,
			wantMsg: `".a) | (.b"`,
		},
		"jq yielding a slice": {
			rule:    IgnoreRule{JQPathExpressions: []string{".spec.template.spec.containers[0:1]"}},
			wantErr: ErrInvalidRule,
			wantMsg: "unsupported path",
		},
		"pointer without leading slash": {
			rule:    IgnoreRule{JSONPointers: []string{"spec/replicas"}},
			wantErr: ErrInvalidRule,
			wantMsg: `json pointer "spec/replicas"`,
		},
		"pointer with bad escape": {
			rule:    IgnoreRule{JSONPointers: []string{"/metadata/annotations/a~2b"}},
			wantErr: ErrInvalidRule,
			wantMsg: "~",
		},
		"jq running forever": {
			rule:    IgnoreRule{JQPathExpressions: []string{". | until(false; .)"}},
			wantErr: ErrJQTimeout,
			wantMsg: `". | until(false; .)"`,
		},
	}
	defer func(d time.Duration) { jqTimeout = d }(jqTimeout)
	jqTimeout = 100 * time.Millisecond
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			desired := loadOne(t, "deployment-desired.yaml")
			live := loadOne(t, "deployment-live.yaml")
			_, err := Compare(context.Background(), desired, live, Options{Ignore: []IgnoreRule{tc.rule}})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tc.wantMsg)
			}
			if _, err := Strip(context.Background(), desired, live, []IgnoreRule{tc.rule}); !errors.Is(err, tc.wantErr) {
				t.Errorf("Strip: error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestLoadIgnoreRules(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    []IgnoreRule
		wantErr string
	}{
		"list": {
			in: `
- group: apps
  kind: Deployment
  jsonPointers: [/spec/replicas]
- kind: "*"
  namespace: shop
  name: web
  jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "sidecar") | .image']
  managedFieldsManagers: [hpa-controller]`,
			want: []IgnoreRule{
				{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}},
				{Kind: "*", Namespace: "shop", Name: "web", JQPathExpressions: []string{sidecarJQ}, ManagedFieldsManagers: []string{"hpa-controller"}},
			},
		},
		"application spec fragment": {
			in:   "ignoreDifferences:\n- kind: ConfigMap\n  jsonPointers: [/data]\n",
			want: []IgnoreRule{{Kind: "ConfigMap", JSONPointers: []string{"/data"}}},
		},
		"json":               {in: `[{"kind":"Secret","jsonPointers":["/data"]}]`, want: []IgnoreRule{{Kind: "Secret", JSONPointers: []string{"/data"}}}},
		"empty":              {in: ""},
		"empty wrapper":      {in: "ignoreDifferences: []", want: []IgnoreRule{}},
		"unknown field":      {in: "- kind: Secret\n  jsonPointer: [/data]\n", wantErr: `unknown field "jsonPointer"`},
		"other keys":         {in: "ignoreDifferences: []\nsyncPolicy: {}\n", wantErr: "only ignoreDifferences"},
		"scalar":             {in: "hello", wantErr: "want a list"},
		"invalid jq":         {in: "- jqPathExpressions: ['.spec[']\n", wantErr: `jq path expression ".spec["`},
		"invalid pointer":    {in: "- jsonPointers: [spec]\n", wantErr: `json pointer "spec"`},
		"invalid yaml":       {in: "- kind: [", wantErr: "ignore rules"},
		"wrong element type": {in: "- 42\n", wantErr: "invalid ignore rule"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := LoadIgnoreRules([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// TestStrip removes ignored fields from the desired Deployment, as an
// applier honouring RespectIgnoreDifferences would.
func TestStrip(t *testing.T) {
	tests := map[string]struct {
		rules  []IgnoreRule
		noLive bool
		remove [][]any // paths expected to be gone; everything else stays
	}{
		"json pointer":       {rules: []IgnoreRule{{JSONPointers: []string{"/spec/replicas"}}}, remove: [][]any{{"spec", "replicas"}}},
		"escaped pointer":    {rules: []IgnoreRule{{JSONPointers: []string{"/metadata/annotations/example.com~1checksum"}}}, remove: [][]any{{"metadata", "annotations", "example.com/checksum"}}},
		"jq":                 {rules: []IgnoreRule{{JQPathExpressions: []string{sidecarJQ}}}, remove: [][]any{container(1, "image")}},
		"managed by hpa":     {rules: []IgnoreRule{{ManagedFieldsManagers: []string{"hpa-controller"}}}, remove: [][]any{{"spec", "replicas"}}},
		"managers need live": {rules: []IgnoreRule{{ManagedFieldsManagers: []string{"hpa-controller"}}}, noLive: true},
		"rule not matching":  {rules: []IgnoreRule{{Kind: "StatefulSet", JSONPointers: []string{"/spec/replicas"}}}},
		"several rules": {
			rules: []IgnoreRule{
				{JSONPointers: []string{"/spec/template/spec/containers/0/args"}},
				{JQPathExpressions: []string{".spec.template.spec.containers[].ports"}},
			},
			remove: [][]any{container(0, "args"), container(0, "ports"), container(1, "ports")},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			desired := loadOne(t, "deployment-desired.yaml")
			live := loadOne(t, "deployment-live.yaml")
			if tc.noLive {
				live = nil
			}
			before := desired.DeepCopy()
			got, err := Strip(context.Background(), desired, live, tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			unchanged(t, "input", before, desired)
			want := desired.DeepCopy()
			for _, p := range tc.remove {
				at(t, want.Object, p, func(parent, last any) {
					delete(parent.(map[string]any), last.(string))
				})
			}
			sameYAML(t, got.Object, want.Object)
		})
	}
	if got, err := Strip(context.Background(), nil, nil, nil); got != nil || err != nil {
		t.Errorf("Strip(context.Background(), nil) = %v, %v", got, err)
	}
}

// TestManagedFieldPaths removes fieldsV1 sets from objects, covering every
// kind of path element.
func TestManagedFieldPaths(t *testing.T) {
	tests := map[string]struct {
		obj, fields, want string
	}{
		"field": {
			obj:    "spec: {replicas: 3, paused: false}",
			fields: `{"f:spec":{"f:replicas":{}}}`,
			want:   "spec: {paused: false}",
		},
		"member with children is removed whole": {
			obj:    "metadata: {annotations: {a: x, b: y}, name: n}",
			fields: `{"f:metadata":{"f:annotations":{".":{},"f:a":{}}}}`,
			want:   "metadata: {name: n}",
		},
		"key selects one element": {
			obj:    "ports: [{containerPort: 80, protocol: TCP, name: a}, {containerPort: 80, protocol: UDP, name: b}]",
			fields: `{"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"UDP\"}":{"f:name":{}}}}`,
			want:   "ports: [{containerPort: 80, protocol: TCP, name: a}, {containerPort: 80, protocol: UDP}]",
		},
		"value removes a set member": {
			obj:    "finalizers: [a, b, c]",
			fields: `{"f:finalizers":{"v:\"b\"":{},"v:\"c\"":{}}}`,
			want:   "finalizers: [a]",
		},
		"index": {
			obj:    "args: [zero, one, two, three]",
			fields: `{"f:args":{"i:1":{},"i:3":{}}}`,
			want:   "args: [zero, two]",
		},
		"absent fields are skipped": {
			obj:    "spec: {a: 1}",
			fields: `{"f:spec":{"f:b":{},"f:list":{"k:{\"name\":\"x\"}":{}}},"f:other":{"i:4":{}}}`,
			want:   "spec: {a: 1}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			live := &obj{Object: map[string]any{"metadata": map[string]any{"managedFields": []any{
				map[string]any{"manager": "m", "fieldsV1": fromYAML(t, tc.fields)},
				map[string]any{"manager": "other", "fieldsV1": fromYAML(t, `{"f:spec":{"f:a":{}}}`)},
			}}}}
			o := fromYAML(t, tc.obj)
			ps, err := managedPaths(o, live, []string{"m"})
			if err != nil {
				t.Fatal(err)
			}
			deletePaths(o, ps)
			sameYAML(t, o, fromYAML(t, tc.want))
		})
	}
}

func TestManagedFieldsInvalid(t *testing.T) {
	live := &obj{Object: map[string]any{"metadata": map[string]any{"managedFields": []any{
		map[string]any{"manager": "m", "fieldsV1": map[string]any{"i:x": map[string]any{}}},
	}}}}
	if _, err := managedPaths(map[string]any{}, live, []string{"m"}); err == nil || !strings.Contains(err.Error(), "manager m") {
		t.Errorf("error %v, want one naming manager m", err)
	}
}

func TestParsePointer(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    []string
		wantErr bool
	}{
		"simple":              {in: "/spec/replicas", want: []string{"spec", "replicas"}},
		"slash escape":        {in: "/metadata/annotations/example.com~1checksum", want: []string{"metadata", "annotations", "example.com/checksum"}},
		"tilde escape":        {in: "/a~0b", want: []string{"a~b"}},
		"order of unescaping": {in: "/~01", want: []string{"~1"}},
		"empty token":         {in: "/", want: []string{""}},
		"root":                {in: "", wantErr: true},
		"relative":            {in: "spec", wantErr: true},
		"lone tilde":          {in: "/a~", wantErr: true},
		"bad escape":          {in: "/a~2", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parsePointer(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
