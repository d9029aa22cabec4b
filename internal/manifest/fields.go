package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// node reads one mapping of a document. It records the keys read, so that
// done can report every other key: as a warning, or as an error when
// strict (Flotilla's own kinds). Values are as decoded by encoding/json
// with UseNumber: map[string]any, []any, string, json.Number, bool, nil.
type node struct {
	path   string
	m      map[string]any
	seen   map[string]bool
	warns  *[]string
	strict bool
}

func newNode(path string, m map[string]any, warns *[]string, strict bool) *node {
	return &node{path: path, m: m, seen: map[string]bool{}, warns: warns, strict: strict}
}

// at is the path of key.
func (n *node) at(key string) string {
	if n.path == "" {
		return key
	}
	return n.path + "." + key
}

func (n *node) warn(field, format string, args ...any) {
	*n.warns = append(*n.warns, field+": "+fmt.Sprintf(format, args...))
}

// get marks key read and returns its value; null counts as absent.
func (n *node) get(key string) (any, bool) {
	n.seen[key] = true
	v, ok := n.m[key]
	return v, ok && v != nil
}

// silent reads keys and ignores them.
func (n *node) silent(keys ...string) {
	for _, k := range keys {
		n.seen[k] = true
	}
}

// unsupported reads key and warns `PATH: why` when it is set to anything
// but a zero value.
func (n *node) unsupported(key, why string) {
	if v, ok := n.get(key); ok && !isZero(v) {
		n.warn(n.at(key), "%s", why)
	}
}

// done reports the keys not read.
func (n *node) done() error {
	var rest []string
	for k := range n.m {
		if !n.seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		if n.strict {
			return errAt(n.at(k), ErrUnknownField)
		}
		n.warn(n.at(k), "unknown field, ignored")
	}
	return nil
}

func (n *node) str(key string) (string, error) {
	v, ok := n.get(key)
	if !ok {
		return "", nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", errAt(n.at(key), invalid("must be a string, not %s", typeName(v)))
	}
	return s, nil
}

func (n *node) boolean(key string) (bool, error) {
	v, ok := n.get(key)
	if !ok {
		return false, nil
	}
	b, isBool := v.(bool)
	if !isBool {
		return false, errAt(n.at(key), invalid("must be true or false, not %s", typeName(v)))
	}
	return b, nil
}

// integer reads an integer, also one written as a string ("3").
func (n *node) integer(key string, min, max int64) (int64, error) {
	v, ok := n.get(key)
	if !ok {
		return 0, nil
	}
	i, err := toInt(v)
	if err == nil && (i < min || i > max) {
		err = invalid("%d is out of range [%d, %d]", i, min, max)
	}
	if err != nil {
		return 0, errAt(n.at(key), err)
	}
	return i, nil
}

func (n *node) int32(key string) (int32, error) {
	i, err := n.integer(key, math.MinInt32, math.MaxInt32)
	return int32(i), err
}

func toInt(v any) (int64, error) {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return 0, invalid("must be an integer, not %s", typeName(v))
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, invalid("%q is not an integer", s)
	}
	return int64(f), nil
}

func (n *node) strs(key string) ([]string, error) {
	v, ok := n.get(key)
	if !ok {
		return nil, nil
	}
	l, isList := v.([]any)
	if !isList {
		return nil, errAt(n.at(key), invalid("must be a list of strings, not %s", typeName(v)))
	}
	out := make([]string, 0, len(l))
	for i, x := range l {
		s, isStr := x.(string)
		if !isStr {
			return nil, errAt(fmt.Sprintf("%s[%d]", n.at(key), i), invalid("must be a string, not %s", typeName(x)))
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func (n *node) strMap(key string) (map[string]string, error) {
	v, ok := n.get(key)
	if !ok {
		return nil, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, errAt(n.at(key), invalid("must be a mapping of strings, not %s", typeName(v)))
	}
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		s, isStr := m[k].(string)
		if !isStr {
			return nil, errAt(n.at(key)+"."+k, invalid("must be a string, not %s (quote it)", typeName(m[k])))
		}
		out[k] = s
	}
	return out, nil
}

// obj reads a mapping; nil when absent.
func (n *node) obj(key string) (*node, error) {
	v, ok := n.get(key)
	if !ok {
		return nil, nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return nil, errAt(n.at(key), invalid("must be a mapping, not %s", typeName(v)))
	}
	return newNode(n.at(key), m, n.warns, n.strict), nil
}

// objs reads a list of mappings.
func (n *node) objs(key string) ([]*node, error) {
	v, ok := n.get(key)
	if !ok {
		return nil, nil
	}
	l, isList := v.([]any)
	if !isList {
		return nil, errAt(n.at(key), invalid("must be a list, not %s", typeName(v)))
	}
	out := make([]*node, 0, len(l))
	for i, x := range l {
		path := fmt.Sprintf("%s[%d]", n.at(key), i)
		m, isMap := x.(map[string]any)
		if !isMap {
			return nil, errAt(path, invalid("must be a mapping, not %s", typeName(x)))
		}
		out = append(out, newNode(path, m, n.warns, n.strict))
	}
	return out, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", v)
}

// isZero: null, "", false, 0, or a list or mapping of zero values only (as
// Argo CD's IsZero methods see a source section).
func isZero(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case bool:
		return !t
	case json.Number:
		f, err := t.Float64()
		return err == nil && f == 0
	case []any:
		return len(t) == 0
	case map[string]any:
		for _, x := range t {
			if !isZero(x) {
				return false
			}
		}
		return true
	}
	return false
}

// seconds reads a duration: "5s", "2m", or a number of seconds (integer or
// string); rounded up to whole seconds.
func (n *node) seconds(key string) (int64, error) {
	v, ok := n.get(key)
	if !ok {
		return 0, nil
	}
	if i, err := toInt(v); err == nil {
		if i < 0 {
			return 0, errAt(n.at(key), invalid("%d is negative", i))
		}
		return i, nil
	}
	s, isStr := v.(string)
	if !isStr {
		return 0, errAt(n.at(key), invalid("must be a duration such as 5s or 2m, not %s", typeName(v)))
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errAt(n.at(key), invalid("%q is not a duration such as 5s or 2m", s))
	}
	return int64((d + time.Second - 1) / time.Second), nil
}
