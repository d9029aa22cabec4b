package diff

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// path addresses one node of an object: string elements select map fields,
// int elements list indices.
type path []any

// jqTimeout bounds one evaluation of a jq path expression (Argo CD's default
// is also one second). A variable so tests can shorten it.
var jqTimeout = time.Second

// maxJQPaths bounds how many paths one expression may yield on one object.
const maxJQPaths = 100_000

// parsePointer splits an RFC 6901 JSON pointer into unescaped tokens.
func parsePointer(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%w: must start with \"/\"", ErrInvalidRule)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		for j := 0; j < len(t); j++ {
			if t[j] == '~' && (j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1')) {
				return nil, fmt.Errorf("%w: \"~\" must be followed by 0 or 1", ErrInvalidRule)
			}
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// resolvePointer turns pointer tokens into a path in obj; tokens crossing a
// list must be indices in range. ok is false when the pointer leads nowhere.
func resolvePointer(obj map[string]any, toks []string) (path, bool) {
	var cur any = obj
	p := make(path, 0, len(toks))
	for _, t := range toks {
		switch n := cur.(type) {
		case map[string]any:
			p = append(p, t)
			cur = n[t]
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(n) || strconv.Itoa(i) != t {
				return nil, false
			}
			p = append(p, i)
			cur = n[i]
		default:
			return nil, false
		}
	}
	return p, true
}

// jqPath is a compiled path(EXPR) query.
type jqPath struct {
	expr string
	code *gojq.Code
}

// paths evaluates the query on obj. A runtime error (typically iterating
// over a field the object does not have) means the expression selects
// nothing here, as in Argo CD; running out of time is an error.
func (q jqPath) paths(ctx context.Context, obj map[string]any) ([]path, error) {
	ctx, cancel := context.WithTimeout(ctx, jqTimeout)
	defer cancel()
	iter := q.code.RunWithContext(ctx, toJQ(obj))
	var out []path
	for {
		v, ok := iter.Next()
		if !ok {
			return out, nil
		}
		if err, isErr := v.(error); isErr {
			if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
				return nil, fmt.Errorf("jq path expression %q: %w after %v", q.expr, ErrJQTimeout, jqTimeout)
			}
			return nil, nil
		}
		if len(out) >= maxJQPaths {
			return nil, fmt.Errorf("jq path expression %q: %w: more than %d paths", q.expr, ErrInvalidRule, maxJQPaths)
		}
		p, ok := jqToPath(v)
		if !ok {
			return nil, fmt.Errorf("jq path expression %q: %w: unsupported path %v", q.expr, ErrInvalidRule, v)
		}
		if len(p) > 0 {
			out = append(out, p)
		}
	}
}

// jqToPath converts a path emitted by gojq (strings and integer indices).
func jqToPath(v any) (path, bool) {
	elems, ok := v.([]any)
	if !ok {
		return nil, false
	}
	p := make(path, 0, len(elems))
	for _, e := range elems {
		switch x := e.(type) {
		case string:
			p = append(p, x)
		case int:
			p = append(p, x)
		case float64:
			if x != float64(int(x)) {
				return nil, false
			}
			p = append(p, int(x))
		default: // slices ({start, end}) are not addressable fields
			return nil, false
		}
	}
	return p, true
}

// toJQ copies a JSON-like value into the types gojq accepts (int, not int64).
func toJQ(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = toJQ(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = toJQ(e)
		}
		return l
	case int64:
		return int(x)
	case int32:
		return int(x)
	}
	return v
}

// managedPaths returns the paths in obj of the fields that managers own in
// live's metadata.managedFields (fieldsV1). A field owned as a whole (a map
// or list element marked with ".") is removed whole.
func managedPaths(obj map[string]any, live *unstructured.Unstructured, managers []string) ([]path, error) {
	owned := fieldpath.NewSet()
	entries, _, err := unstructured.NestedSlice(live.Object, "metadata", "managedFields")
	if err != nil {
		return nil, fmt.Errorf("managedFields: %w", err)
	}
	for i, e := range entries {
		m, _ := e.(map[string]any)
		mgr, _ := m["manager"].(string)
		if m == nil || !slices.Contains(managers, mgr) || m["fieldsV1"] == nil {
			continue
		}
		raw, err := json.Marshal(m["fieldsV1"])
		if err != nil {
			return nil, fmt.Errorf("managedFields[%d] (manager %s): %w", i, mgr, err)
		}
		s := fieldpath.NewSet()
		if err := s.FromJSON(bytes.NewReader(raw)); err != nil {
			return nil, fmt.Errorf("managedFields[%d] (manager %s): fieldsV1: %w", i, mgr, err)
		}
		owned = owned.Union(s)
	}
	var out []path
	owned.Iterate(func(fp fieldpath.Path) {
		if p, ok := resolveFieldPath(obj, fp); ok {
			out = append(out, p)
		}
	})
	return out, nil
}

// resolveFieldPath finds a structured-merge-diff path (f: field, k: list
// key, v: set value, i: index) in obj.
func resolveFieldPath(obj map[string]any, fp fieldpath.Path) (path, bool) {
	var cur any = obj
	p := make(path, 0, len(fp))
	for _, pe := range fp {
		if pe.FieldName != nil {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			p = append(p, *pe.FieldName)
			cur = m[*pe.FieldName]
			continue
		}
		l, ok := cur.([]any)
		if !ok {
			return nil, false
		}
		var i int
		if pe.Index != nil {
			i = *pe.Index
		} else {
			i = slices.IndexFunc(l, func(e any) bool { return elementMatches(pe, e) })
		}
		if i < 0 || i >= len(l) {
			return nil, false
		}
		p = append(p, i)
		cur = l[i]
	}
	return p, true
}

// elementMatches reports whether list element e is the one a Key (k:) or
// Value (v:) path element selects.
func elementMatches(pe fieldpath.PathElement, e any) bool {
	switch {
	case pe.Key != nil:
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		for _, f := range *pe.Key {
			v, set := m[f.Name]
			if !set || !value.Equals(value.NewValueInterface(v), f.Value) {
				return false
			}
		}
		return true
	case pe.Value != nil:
		return value.Equals(value.NewValueInterface(e), *pe.Value)
	}
	return false
}

// deletePaths removes every path from obj. Paths are removed in reverse
// order, children before parents and higher list indices before lower
// ones, so each removal leaves the remaining paths valid.
func deletePaths(obj map[string]any, paths []path) {
	slices.SortFunc(paths, func(a, b path) int { return -comparePaths(a, b) })
	for _, p := range paths {
		deletePath(obj, p)
	}
}

func comparePaths(a, b path) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareElem(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func compareElem(a, b any) int {
	ai, aInt := a.(int)
	bi, bInt := b.(int)
	switch {
	case aInt && bInt:
		return cmp.Compare(ai, bi)
	case aInt:
		return 1
	case bInt:
		return -1
	}
	as, _ := a.(string)
	bs, _ := b.(string)
	return strings.Compare(as, bs)
}

// deletePath removes the node at p from n and returns n (a list shrinks, so
// the caller stores the result). Missing nodes are ignored.
func deletePath(n any, p path) any {
	if len(p) == 0 {
		return n
	}
	switch x := n.(type) {
	case map[string]any:
		k, ok := p[0].(string)
		if !ok {
			return n
		}
		child, found := x[k]
		if !found {
			return n
		}
		if len(p) == 1 {
			delete(x, k)
		} else {
			x[k] = deletePath(child, p[1:])
		}
	case []any:
		i, ok := p[0].(int)
		if !ok || i < 0 || i >= len(x) {
			return n
		}
		if len(p) == 1 {
			return slices.Delete(x, i, i+1)
		}
		x[i] = deletePath(x[i], p[1:])
	}
	return n
}
