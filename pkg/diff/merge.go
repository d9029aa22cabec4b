package diff

import (
	"encoding/json"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// MergeKeys are the fields that identify elements of associative lists, in
// order of preference: a list is merged element by element on the first of
// these that every element of both lists carries (containers and env by
// name, ports by containerPort or port, volumeMounts by mountPath, ...).
var MergeKeys = []string{"name", "containerPort", "port", "mountPath", "devicePath", "ip"}

// quantityParents are the map fields whose values are resource quantities:
// the API server canonicalises them ("1000m" becomes "1"), so equal
// quantities written differently are not drift.
var quantityParents = map[string]bool{"limits": true, "requests": true, "hard": true}

// atomicDefaulted lists the atomic lists (by field path, without
// indices) whose items the API server defaults: their objects are merged
// by position onto live's when both lists are as long, so the defaults
// (a webhook rule's scope, a volumeClaimTemplate's volumeMode, a
// NetworkPolicy port's protocol) are not drift. Other atomic lists are
// replaced, as server-side apply replaces them.
var atomicDefaulted = map[string]bool{
	"webhooks.rules":            true,
	"spec.volumeClaimTemplates": true,
	"spec.ingress":              true,
	"spec.egress":               true,
}

// Predict returns what the live object would look like once desired is
// applied with server-side apply: desired merged onto live. Maps merge
// recursively; scalars from desired win; a null in desired leaves live's
// value (the API server drops nulls); for a built-in kind, desired is first
// taken as the API server stores it (see stored) and an empty list or map
// where live's parent has none is kept out (stored as nothing). Associative
// lists (see MergeKeys) merge element-wise by key, keeping desired's order
// and dropping live elements desired lacks; other lists are replaced by
// desired's (see atomicDefaulted). Fields only live has, such as server
// defaults, are kept. Neither input is modified; with a nil live the result
// is a copy of desired without nulls.
func Predict(desired, live *unstructured.Unstructured) *unstructured.Unstructured {
	if desired == nil {
		return nil
	}
	d, builtin := stored(desired.DeepCopy().Object)
	var l map[string]any
	if live != nil {
		l = live.DeepCopy().Object
	}
	m, _ := merger{builtin: builtin}.value(d, l, "").(map[string]any) // a map merged onto anything is a map
	return &unstructured.Unstructured{Object: m}
}

// merger merges desired onto live; builtin says the object is of a
// built-in kind.
type merger struct{ builtin bool }

// value merges d (desired) onto l (live). path is the dotted path of the
// field holding them (list indices left out). The result may share
// subtrees with d and l; callers pass copies they own.
func (m merger) value(d, l any, path string) any {
	switch dv := d.(type) {
	case nil:
		return l
	case map[string]any:
		lm, _ := l.(map[string]any)
		out := make(map[string]any, len(lm)+len(dv))
		for k, v := range lm {
			out[k] = v
		}
		quantities := quantityParents[lastField(path)]
		for k, v := range dv {
			switch {
			case v == nil:
			case v == dropped{}:
				if lm[k] != nil {
					delete(out, k) // stored as nothing, whatever live holds
				}
			case m.builtin && lm != nil && lm[k] == nil && isEmptyCollection(v):
				// The API server stores a built-in kind's empty list or map
				// as nothing: it reads back null or absent (a ClusterRole's
				// `rules: []`), which is not drift. (Where live has no
				// parent, `emptyDir: {}` and the like stay.)
			case quantities && sameQuantity(v, lm[k]):
				// keep live's canonical spelling
			default:
				out[k] = m.value(v, lm[k], joinPath(path, k))
			}
		}
		return out
	case []any:
		ll, _ := l.([]any)
		return m.list(dv, ll, path)
	default:
		return dv
	}
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func lastField(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// isEmptyCollection reports whether v is an empty list or map.
func isEmptyCollection(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// list merges desired list d onto live list l, the field at path.
func (m merger) list(d, l []any, path string) []any {
	out := make([]any, 0, len(d))
	key := mergeKey(d, l)
	if key == "" {
		byIndex := atomicDefaulted[path] && len(d) == len(l) && allMaps(d) && allMaps(l)
		for i, e := range d {
			var lv any
			if byIndex {
				lv = l[i]
			}
			out = append(out, m.value(e, lv, path))
		}
		return out
	}
	// Keys are not always unique (a port number with TCP and UDP): the n-th
	// desired element with a key pairs with the n-th live one.
	live := make(map[string][]any, len(l))
	for _, e := range l {
		k := keyString(e.(map[string]any)[key])
		live[k] = append(live[k], e)
	}
	seen := make(map[string]int, len(d))
	for _, e := range d {
		k := keyString(e.(map[string]any)[key])
		var lv any
		if n := seen[k]; n < len(live[k]) {
			lv = live[k][n]
		}
		seen[k]++
		out = append(out, m.value(e, lv, path))
	}
	return out
}

// mergeKey returns the first of MergeKeys that every element of both lists
// sets, or "" when the lists are not associative (or desired is empty).
func mergeKey(d, l []any) string {
	if len(d) == 0 {
		return ""
	}
	for _, k := range MergeKeys {
		if allHave(d, k) && allHave(l, k) {
			return k
		}
	}
	return ""
}

func allMaps(list []any) bool {
	for _, e := range list {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func allHave(list []any, key string) bool {
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || m[key] == nil {
			return false
		}
	}
	return true
}

// keyString renders a merge-key value so that equal values (an int64 and an
// integral float64) collide.
func keyString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "\x00unencodable"
	}
	return string(b)
}

// sameQuantity reports whether two scalars are equal resource quantities.
func sameQuantity(a, b any) bool {
	qa, ok := quantity(a)
	if !ok {
		return false
	}
	qb, ok := quantity(b)
	return ok && qa.Cmp(qb) == 0
}

func quantity(v any) (resource.Quantity, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	case int:
		s = strconv.Itoa(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return resource.Quantity{}, false
	}
	q, err := resource.ParseQuantity(s)
	return q, err == nil
}
