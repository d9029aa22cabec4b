package appset

import (
	"encoding/json"
	"strings"
)

// Project is the one project every application a set's spec (JSON)
// generates belongs to, as far as the spec alone says: the template's
// literal spec.project ("" for the default project). ok is false when no
// single project holds: the project is templated ("{{...}}"), a
// generator's own template sets one (it wins over the set's), or the spec
// cannot be read; the set may then generate into any project.
func Project(specJSON string) (project string, ok bool) {
	var spec struct {
		Template   map[string]any `json:"template"`
		Generators []any          `json:"generators"`
	}
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		return "", false
	}
	if generatorSetsProject(spec.Generators) {
		return "", false
	}
	p, _ := templateProject(spec.Template)
	if strings.Contains(p, "{{") {
		return "", false
	}
	return p, true
}

// templateProject reads template.spec.project.
func templateProject(t map[string]any) (string, bool) {
	spec, _ := t["spec"].(map[string]any)
	p, ok := spec["project"]
	s, _ := p.(string)
	return s, ok
}

// generatorSetsProject says whether any generator, nested ones (matrix,
// merge) included, has a template that sets spec.project.
func generatorSetsProject(v any) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if generatorSetsProject(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if t, ok := e.(map[string]any); ok && k == "template" {
				if _, set := templateProject(t); set {
					return true
				}
			}
			if generatorSetsProject(e) {
				return true
			}
		}
	}
	return false
}
