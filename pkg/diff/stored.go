package diff

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// stored marks, in a desired object of a built-in kind, the fields the API
// server drops when it stores it: decoded into its Go type and encoded
// again, the zero values of omitempty fields (an env var's `value: ""`,
// `hostNetwork: false`) are gone, while pointer fields set to false or 0
// and map values stay. Those fields are replaced with dropped{}. builtin
// says the kind is built in. Custom resources (stored as written), unknown
// kinds and objects that do not decode are returned unchanged.
func stored(obj map[string]any) (out map[string]any, builtin bool) {
	if obj == nil {
		return nil, false
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	typed, err := scheme.Scheme.New(schema.FromAPIVersionAndKind(apiVersion, kind))
	if err != nil {
		return obj, false
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, typed); err != nil {
		return obj, true
	}
	round, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		return obj, true
	}
	markDropped(obj, round)
	return obj, true
}

// dropped marks a desired field the API server drops (a zero value of an
// omitempty field): it reads back absent, whatever live holds now.
type dropped struct{}

// markDropped replaces the fields of d that the round trip r lost with
// dropped{}, walking maps by key and lists of one length by position.
func markDropped(d, r any) {
	switch dv := d.(type) {
	case map[string]any:
		rm, _ := r.(map[string]any)
		for k, v := range dv {
			if v == nil {
				continue
			}
			if rv, ok := rm[k]; ok {
				markDropped(v, rv)
			} else if rm != nil && isZero(v) {
				// Only a zero value is dropped; a field the Go type does not
				// know (a newer API) stays as desired says.
				dv[k] = dropped{}
			}
		}
	case []any:
		if rl, ok := r.([]any); ok && len(rl) == len(dv) {
			for i := range dv {
				markDropped(dv[i], rl[i])
			}
		}
	}
}

// isZero reports whether v is a zero value: false, 0, "", or an empty list
// or map.
func isZero(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case string:
		return x == ""
	case int64:
		return x == 0
	case int:
		return x == 0
	case float64:
		return x == 0
	}
	return isEmptyCollection(v)
}
