package appset

import (
	"bytes"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// genCtx is one Generate call: its inputs, renderer and the repositories read.
type genCtx struct {
	in    Inputs
	r     *renderer
	repos map[string]bool
}

// unsupportedKinds are generator kinds Argo CD has and this engine does not.
var unsupportedKinds = map[string]bool{
	"scmProvider": true, "clusterDecisionResource": true, "pullRequest": true, "plugin": true,
}

// run evaluates the generator raw at path and returns its param sets and its
// own template override (nil if none). depth is its matrix/merge nesting
// level (0 for spec.generators[i]); outer, when set, is the param set of a
// matrix's first child that this (second) child is interpolated with first.
func (c *genCtx) run(path string, raw any, depth int, outer map[string]any) ([]map[string]any, map[string]any, error) {
	g, ok := raw.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: a generator must be an object", path, ErrInvalid)
	}
	kind := ""
	for _, k := range sortedKeys(g) {
		switch {
		case k == "selector":
		case k == "list" || k == "clusters" || k == "git" || k == "matrix" || k == "merge":
			if kind != "" {
				return nil, nil, fmt.Errorf("%s: %w: more than one generator (%s and %s)", path, ErrInvalid, kind, k)
			}
			kind = k
		case unsupportedKinds[k]:
			return nil, nil, fmt.Errorf("%s.%s: %w: generator kind %q", path, k, ErrUnsupported, k)
		default:
			return nil, nil, fmt.Errorf("%s: %w %q", path, ErrUnknownField, k)
		}
	}
	if kind == "" {
		return nil, nil, fmt.Errorf("%s: %w: no generator (list, clusters, git, matrix or merge)", path, ErrInvalid)
	}
	kpath := path + "." + kind
	body, ok := g[kind].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: %w: must be an object", kpath, ErrInvalid)
	}
	selector := g["selector"]
	if outer != nil && kind != "matrix" && kind != "merge" {
		var err error
		if body, err = c.interpolate(kpath, body, outer); err != nil {
			return nil, nil, err
		}
		if selector != nil {
			if selector, err = c.r.tree(path+".selector", selector, outer); err != nil {
				return nil, nil, err
			}
		}
	}
	var sets []map[string]any
	var err error
	switch kind {
	case "list":
		sets, err = c.list(kpath, body)
	case "clusters":
		sets, err = c.clusters(kpath, body)
	case "git":
		sets, err = c.git(kpath, body)
	case "matrix", "merge":
		if depth >= MaxDepth {
			return nil, nil, fmt.Errorf("%s: %w", kpath, ErrTooDeep)
		}
		if kind == "matrix" {
			sets, err = c.matrix(kpath, body, depth)
		} else {
			sets, err = c.merge(kpath, body, depth)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if len(sets) > MaxApps {
		return nil, nil, fmt.Errorf("%s: %w: %d parameter sets, at most %d", path, ErrTooMany, len(sets), MaxApps)
	}
	if selector != nil {
		if sets, err = filterSets(path+".selector", selector, sets); err != nil {
			return nil, nil, err
		}
	}
	var tmpl map[string]any
	if t, ok := body["template"]; ok && t != nil {
		if tmpl, ok = t.(map[string]any); !ok {
			return nil, nil, fmt.Errorf("%s.template: %w: must be an object", kpath, ErrInvalid)
		}
	}
	return sets, tmpl, nil
}

// interpolate renders a matrix's second child with a param set of the
// first, as Argo CD does; its template and values are left for later (they
// are rendered with the child's own params).
func (c *genCtx) interpolate(path string, body, outer map[string]any) (map[string]any, error) {
	rest := make(map[string]any, len(body))
	for k, v := range body {
		if k != "template" && k != "values" {
			rest[k] = v
		}
	}
	out, err := c.r.tree(path, rest, outer)
	if err != nil {
		return nil, err
	}
	m := out.(map[string]any)
	for _, k := range []string{"template", "values"} {
		if v, ok := body[k]; ok {
			m[k] = v
		}
	}
	return m, nil
}

// checkKeys refuses keys of body outside known.
func checkKeys(path string, body map[string]any, known ...string) error {
	for _, k := range sortedKeys(body) {
		found := false
		for _, n := range known {
			found = found || n == k
		}
		if !found {
			return fmt.Errorf("%s: %w %q", path, ErrUnknownField, k)
		}
	}
	return nil
}

// labelSelector decodes a metav1.LabelSelector (matchLabels,
// matchExpressions) at path.
func labelSelector(path string, raw any) (labels.Selector, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalid, err)
	}
	var ls metav1.LabelSelector
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ls); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalid, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", path, ErrInvalid, err)
	}
	return sel, nil
}

// filterSets keeps the param sets whose flat params match the selector.
func filterSets(path string, raw any, sets []map[string]any) ([]map[string]any, error) {
	sel, err := labelSelector(path, raw)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, s := range sets {
		if sel.Matches(labels.Set(flat(s))) {
			out = append(out, s)
		}
	}
	return out, nil
}
