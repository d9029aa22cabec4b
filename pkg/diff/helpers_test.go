package diff

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// load decodes every object of a fixture under testdata.
func load(t *testing.T, file string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := object.Decode(file, data, object.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// loadOne decodes a fixture holding exactly one object.
func loadOne(t *testing.T, file string) *unstructured.Unstructured {
	t.Helper()
	objs := load(t, file)
	if len(objs) != 1 {
		t.Fatalf("%s: %d objects, want 1", file, len(objs))
	}
	return objs[0]
}

// fromYAML parses an inline YAML mapping.
func fromYAML(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return m
}

// sameYAML fails unless got and want render to the same YAML.
func sameYAML(t *testing.T, got, want any) {
	t.Helper()
	g, err := yaml.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := yaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("got:\n%s\nwant:\n%s", g, w)
	}
}

// golden compares got with testdata/golden/<name>.diff, rewriting the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name+".diff")
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/diff/ -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("diff differs from %s:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}

// at walks to the node at path (string keys, int indices) and calls f with
// its container and the last step; it fails the test when a step is missing.
func at(t *testing.T, obj map[string]any, path []any, f func(parent any, last any)) {
	t.Helper()
	var cur any = obj
	for i, step := range path[:len(path)-1] {
		switch s := step.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("step %d (%v) of %v: not a map", i, step, path)
			}
			if m[s] == nil {
				m[s] = map[string]any{}
			}
			cur = m[s]
		case int:
			l, ok := cur.([]any)
			if !ok || s >= len(l) {
				t.Fatalf("step %d (%v) of %v: no such element", i, step, path)
			}
			cur = l[s]
		}
	}
	f(cur, path[len(path)-1])
}

// set sets the value at path, creating maps on the way.
func set(t *testing.T, u *unstructured.Unstructured, v any, path ...any) {
	t.Helper()
	at(t, u.Object, path, func(parent, last any) {
		switch p := parent.(type) {
		case map[string]any:
			p[last.(string)] = v
		case []any:
			p[last.(int)] = v
		default:
			t.Fatalf("set %v: parent is %T", path, parent)
		}
	})
}

// del removes the node at path from u.
func del(t *testing.T, u *unstructured.Unstructured, path ...any) {
	t.Helper()
	at(t, u.Object, path, func(parent, last any) {
		if m, ok := parent.(map[string]any); ok {
			delete(m, last.(string))
			return
		}
		t.Fatalf("del %v: parent is %T", path, parent)
	})
}

// appendTo appends v to the list at path.
func appendTo(t *testing.T, u *unstructured.Unstructured, v any, path ...any) {
	t.Helper()
	at(t, u.Object, path, func(parent, last any) {
		m := parent.(map[string]any)
		l, _ := m[last.(string)].([]any)
		m[last.(string)] = append(l, v)
	})
}

// unchanged fails if an input was modified.
func unchanged(t *testing.T, what string, before, after *unstructured.Unstructured) {
	t.Helper()
	if before == nil && after == nil {
		return
	}
	if !reflect.DeepEqual(before.Object, after.Object) {
		t.Errorf("%s was modified", what)
	}
}

// fileName turns a test name into a golden file name.
func fileName(name string) string {
	return strings.ReplaceAll(name, " ", "-")
}
