package object

import (
	"errors"
	"strings"
	"testing"
)

func TestDecodeErrorsNameTheLine(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string
	}{
		"unclosed flow sequence": {"a: 1\nkind: [oops\n", "document 1, line 2: did not find expected ',' or ']'"},
		"bad indentation":        {"a: 1\nb:\n  c: 1\n d: 2\n", "document 1, line 4: did not find expected key"},
		"unclosed flow mapping":  {"a: 1\nb: {x: 1\n", "line 2: did not find expected ',' or '}'"},
		"tab indentation":        {"a: 1\n\tb: 2\n", "line 2: found a tab character"},
		"nested mapping values":  {"a: 1\nb: c: d\n", "line 2: mapping values are not allowed"},
		"second document":        {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [x\n", "document 2, line 5:"},
		"not a mapping":          {"- a\n- b\n", "document 1, line 1: document is not a Kubernetes object: top level is a []interface {}"},
		"missing name":           {"apiVersion: v1\nkind: ConfigMap\n", "missing metadata.name"},
		"boolean name":           {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: yes}\n", "metadata.name is a bool, not a string"},
		"infinity":               {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: .inf}\n", "line 4: unsupported YAML value"},
		"list item bad":          {"apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap}\n", "items[0]: document is not a Kubernetes object: missing metadata.name"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Decode("f.yaml", []byte(tc.in), DefaultLimits())
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want %q", err, tc.want)
			}
		})
	}
}

func TestDecodeValues(t *testing.T) {
	in := `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  labels: &l {app: web}
  annotations:
    <<: *l
    own: "yes"
spec:
  int: 3
  float: 1.5
  integral: 2.0
  bool: true
  null: ~
  time: 2024-01-02T03:04:05Z
  str: "007"
---
# empty document
---
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Secret, metadata: {name: s}}
  - {apiVersion: v1, kind: Secret, metadata: {name: t}}
`
	objs, err := Decode("f.yaml", []byte(in), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 3 || objs[1].GetName() != "s" || objs[2].GetName() != "t" {
		t.Fatalf("got %d objects", len(objs))
	}
	spec := objs[0].Object["spec"].(map[string]any)
	want := map[string]any{"int": int64(3), "float": 1.5, "integral": int64(2), "bool": true, "null": nil, "time": "2024-01-02T03:04:05Z", "str": "007"}
	for k, v := range want {
		if spec[k] != v {
			t.Errorf("spec.%s = %#v (%T), want %#v", k, spec[k], spec[k], v)
		}
	}
	if ann := objs[0].GetAnnotations(); ann["app"] != "web" || ann["own"] != "yes" {
		t.Errorf("merge key: annotations %v", ann)
	}
}

// TestDecodeLikeKubectl pins values kubectl (sigs.k8s.io/yaml, YAML 1.1)
// reads differently from YAML 1.2.
func TestDecodeLikeKubectl(t *testing.T) {
	in := `apiVersion: v1
kind: ConfigMap
metadata: {name: a}
spec:
  yes: yes
  off: Off
  quoted: "yes"
  tagged: !!bool yes
  big: 12345678901234567890
  ref: !Ref foo
  dup: first
  dup: last
`
	objs, err := Decode("f.yaml", []byte(in), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	spec := objs[0].Object["spec"].(map[string]any)
	want := map[string]any{"true": true, "false": false, "quoted": "yes", "tagged": true, "big": 1.2345678901234567e19, "ref": "foo", "dup": "last"}
	for k, v := range want {
		if spec[k] != v {
			t.Errorf("spec[%q] = %#v, want %#v", k, spec[k], v)
		}
	}
	if len(spec) != len(want) {
		t.Errorf("spec has keys %v", spec)
	}
}

func TestDecodeJSONFiles(t *testing.T) {
	in := `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"url": "http:\/\/x", "smile": "\ud83d\ude00", "n": 3, "f": 1.5}}`
	objs, err := Decode("a.json", []byte(in), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	data := objs[0].Object["data"].(map[string]any)
	if data["url"] != "http://x" || data["smile"] != "😀" || data["n"] != int64(3) || data["f"] != 1.5 {
		t.Errorf("data = %#v", data)
	}
	_, err = Decode("b.json", []byte("{\"apiVersion\": \"v1\",\n \"kind\": }"), DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "b.json: document 1, line 2") {
		t.Errorf("bad JSON: %v", err)
	}
	empty, err := Decode("l.yaml", []byte("apiVersion: v1\nkind: List\nitems: null\n"), DefaultLimits())
	if err != nil || len(empty) != 0 {
		t.Errorf("items: null gave %v, %v", empty, err)
	}
}

func TestHashIsOrderIndependent(t *testing.T) {
	a, _ := Decode("a", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '1', b: '2'}\n"), DefaultLimits())
	b, _ := Decode("b", []byte("kind: ConfigMap\ndata: {b: '2', a: '1'}\nmetadata: {name: x}\napiVersion: v1\n"), DefaultLimits())
	ha, _ := Hash(a[0])
	hb, _ := Hash(b[0])
	if ha != hb || len(ha) != 64 {
		t.Errorf("hashes differ: %s %s", ha, hb)
	}
	a[0].SetLabels(map[string]string{"x": "y"})
	if hc, _ := Hash(a[0]); hc == ha {
		t.Errorf("hash ignores content")
	}
}
