package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// IgnoreRule is one entry of Argo CD's ignoreDifferences: which objects it
// applies to and which of their fields are left out of comparisons.
//
// Group, Kind, Name and Namespace select objects; empty or "*" matches any.
// JSONPointers (RFC 6901) and JQPathExpressions (evaluated as path(EXPR)
// with gojq) name fields to remove from both sides. ManagedFieldsManagers
// names field managers whose fields, as recorded in the live object's
// metadata.managedFields, are removed from both sides, so the live values
// they set stand.
type IgnoreRule struct {
	Group                 string   `json:"group,omitempty"`
	Kind                  string   `json:"kind,omitempty"`
	Name                  string   `json:"name,omitempty"`
	Namespace             string   `json:"namespace,omitempty"`
	JSONPointers          []string `json:"jsonPointers,omitempty"`
	JQPathExpressions     []string `json:"jqPathExpressions,omitempty"`
	ManagedFieldsManagers []string `json:"managedFieldsManagers,omitempty"`
}

// Matches reports whether the rule applies to the object with identity id.
func (r IgnoreRule) Matches(id object.ID) bool {
	return matchField(r.Group, id.Group) && matchField(r.Kind, id.Kind) &&
		matchField(r.Name, id.Name) && matchField(r.Namespace, id.Namespace)
}

func matchField(want, got string) bool {
	return want == "" || want == "*" || want == got
}

// String describes the rule's selector for error messages.
func (r IgnoreRule) String() string {
	parts := make([]string, 0, 4)
	for _, f := range []struct{ k, v string }{
		{"group", r.Group}, {"kind", r.Kind}, {"namespace", r.Namespace}, {"name", r.Name},
	} {
		if f.v != "" {
			parts = append(parts, f.k+"="+f.v)
		}
	}
	if len(parts) == 0 {
		return "any object"
	}
	return strings.Join(parts, " ")
}

// LoadIgnoreRules parses ignore rules from YAML or JSON: either a list of
// rules or a mapping {ignoreDifferences: [...]}, as in an Argo CD
// Application spec. Unknown fields, invalid JSON pointers and jq expressions
// that do not parse are errors. Empty input yields no rules.
func LoadIgnoreRules(data []byte) ([]IgnoreRule, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("ignore rules: %w", err)
	}
	if m, ok := raw.(map[string]any); ok {
		inner, found := m["ignoreDifferences"]
		if !found || len(m) != 1 {
			return nil, fmt.Errorf("ignore rules: %w: want a list or a mapping with only ignoreDifferences", ErrInvalidRule)
		}
		raw = inner
	}
	if raw == nil {
		return nil, nil
	}
	if _, ok := raw.([]any); !ok {
		return nil, fmt.Errorf("ignore rules: %w: want a list, got %T", ErrInvalidRule, raw)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("ignore rules: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rules []IgnoreRule
	if err := dec.Decode(&rules); err != nil {
		return nil, fmt.Errorf("ignore rules: %w: %w", ErrInvalidRule, err)
	}
	if _, err := compileRules(rules); err != nil {
		return nil, err
	}
	return rules, nil
}

// Strip returns a copy of obj without the fields the matching rules ignore.
// live, which may be nil, supplies metadata.managedFields for
// ManagedFieldsManagers. Neither input is modified; nil obj yields nil.
func Strip(ctx context.Context, obj, live *unstructured.Unstructured, rules []IgnoreRule) (*unstructured.Unstructured, error) {
	if obj == nil {
		return nil, nil
	}
	ig, err := compileRules(rules)
	if err != nil {
		return nil, err
	}
	c := obj.DeepCopy()
	id := object.IDOf(obj)
	if err := ig.strip(ctx, c.Object, id, live); err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return c, nil
}

// ignorer is a list of rules with parsed pointers and compiled jq.
type ignorer []compiledRule

type compiledRule struct {
	IgnoreRule
	pointers [][]string
	jq       []jqPath
}

// compileRules parses every pointer and jq expression, so a bad rule fails
// whatever objects it would match.
func compileRules(rules []IgnoreRule) (ignorer, error) {
	out := make(ignorer, 0, len(rules))
	for i, r := range rules {
		c := compiledRule{IgnoreRule: r}
		for _, p := range r.JSONPointers {
			toks, err := parsePointer(p)
			if err != nil {
				return nil, fmt.Errorf("ignore rule %d (%s): json pointer %q: %w", i, r, p, err)
			}
			c.pointers = append(c.pointers, toks)
		}
		for _, e := range r.JQPathExpressions {
			q, err := compileJQ(e)
			if err != nil {
				return nil, fmt.Errorf("ignore rule %d (%s): jq path expression %q: %w", i, r, e, err)
			}
			c.jq = append(c.jq, q)
		}
		out = append(out, c)
	}
	return out, nil
}

// strip removes from obj, which the caller owns, every field that the rules
// matching id ignore. Paths are resolved against obj as it was on entry,
// then removed deepest and last-index first so earlier removals do not
// shift later ones.
func (ig ignorer) strip(ctx context.Context, obj map[string]any, id object.ID, live *unstructured.Unstructured) error {
	var paths []path
	var managers []string
	for _, r := range ig {
		if !r.Matches(id) {
			continue
		}
		for _, toks := range r.pointers {
			if p, ok := resolvePointer(obj, toks); ok {
				paths = append(paths, p)
			}
		}
		for _, q := range r.jq {
			ps, err := q.paths(ctx, obj)
			if err != nil {
				return err
			}
			paths = append(paths, ps...)
		}
		managers = append(managers, r.ManagedFieldsManagers...)
	}
	if len(managers) > 0 && live != nil {
		ps, err := managedPaths(obj, live, managers)
		if err != nil {
			return err
		}
		paths = append(paths, ps...)
	}
	deletePaths(obj, paths)
	return nil
}

// compileJQ compiles path(expr). expr is parsed alone first so that text
// such as ".a) | (.b" cannot escape the wrapping.
func compileJQ(expr string) (jqPath, error) {
	if _, err := gojq.Parse(expr); err != nil {
		return jqPath{}, fmt.Errorf("%w: %w", ErrInvalidRule, err)
	}
	q, err := gojq.Parse("path(" + expr + ")")
	if err != nil {
		return jqPath{}, fmt.Errorf("%w: %w", ErrInvalidRule, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return jqPath{}, fmt.Errorf("%w: %w", ErrInvalidRule, err)
	}
	return jqPath{expr: expr, code: code}, nil
}
