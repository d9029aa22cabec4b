package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Generators: those Flotilla runs, and Argo CD's others, refused.
var (
	generatorKinds   = []string{"list", "clusters", "git", "matrix", "merge"}
	generatorRefused = []string{"scmProvider", "pullRequest", "clusterDecisionResource", "plugin"}
	// Options of a generator pkg/appset refuses.
	generatorOptionRefused = map[string]string{"list": "elementsYaml", "clusters": "flatList"}
	appSetUnsupported      = []string{"strategy", "ignoreApplicationDifferences", "preservedFields", "applyNestedSelectors"}
	templateMetaAllowed    = []string{"name", "namespace", "labels", "annotations", "finalizers"}
)

// applicationSet reads an ApplicationSet, Argo CD's or Flotilla's (whose
// template.spec is a Flotilla Application spec). Its spec is kept as JSON,
// without the fields warned about; the template is rendered elsewhere.
func applicationSet(root *node, md meta, apiVersion string, argo bool) (*pb.ApplicationSet, error) {
	md.notKept("an ApplicationSet", false, false, true)
	spec, err := root.obj("spec")
	if err != nil {
		return nil, err
	}
	if spec == nil {
		return nil, errAt("spec", ErrRequired)
	}
	spec.strict = false // warned about and left out of spec_json
	kept := map[string]any{}
	if _, ok := spec.get("templatePatch"); ok {
		return nil, errAt("spec.templatePatch", ErrNotSupported)
	}
	gens, ok := spec.get("generators")
	l, isList := gens.([]any)
	if !ok || !isList || len(l) == 0 {
		return nil, errAt("spec.generators", invalid("must be a non-empty list of generators"))
	}
	if err := checkGenerators("spec.generators", l); err != nil {
		return nil, err
	}
	kept["generators"] = l
	tmpl, err := spec.obj("template")
	if err != nil {
		return nil, err
	}
	if tmpl == nil {
		return nil, errAt("spec.template", ErrRequired)
	}
	if err := checkTemplate(tmpl, argo); err != nil {
		return nil, err
	}
	kept["template"] = tmpl.m
	if v, ok := spec.get("goTemplate"); ok {
		if _, err := spec.boolean("goTemplate"); err != nil {
			return nil, err
		}
		kept["goTemplate"] = v
	}
	if opts, err := spec.strs("goTemplateOptions"); err != nil {
		return nil, err
	} else if opts != nil {
		kept["goTemplateOptions"] = opts
	}
	sp, err := spec.obj("syncPolicy")
	if err != nil {
		return nil, err
	}
	if sp != nil {
		if v, ok := sp.get("preserveResourcesOnDeletion"); ok {
			if _, err := sp.boolean("preserveResourcesOnDeletion"); err != nil {
				return nil, err
			}
			kept["syncPolicy"] = map[string]any{"preserveResourcesOnDeletion": v}
		}
		sp.unsupported("applicationsSync", "not supported, ignored (generated applications are created, updated and deleted)")
		if err := sp.done(); err != nil {
			return nil, err
		}
	}
	for _, k := range appSetUnsupported {
		spec.unsupported(k, "not supported, ignored")
	}
	if err := spec.done(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return nil, errAt("spec", invalid("%v", err))
	}
	return &pb.ApplicationSet{Name: md.name, ApiVersion: apiVersion, SpecJson: string(b), Labels: md.labels, Annotations: md.annotations}, nil
}

// checkGenerators checks that each generator has exactly one kind that
// Flotilla runs (besides a selector, which filters its parameters), as an
// object, without the options pkg/appset refuses; the rest is checked when
// the set generates.
func checkGenerators(path string, gens []any) error {
	for i, g := range gens {
		at := fmt.Sprintf("%s[%d]", path, i)
		m, isMap := g.(map[string]any)
		if !isMap {
			return errAt(at, invalid("must be a mapping, not %s", typeName(g)))
		}
		kind := ""
		for _, k := range sortedKeys(m) {
			switch {
			case k == "selector":
			case slices.Contains(generatorRefused, k):
				return errAt(at+"."+k, ErrNotSupported)
			case !slices.Contains(generatorKinds, k):
				return errAt(at+"."+k, invalid("unknown generator (expected one of %s)", strings.Join(generatorKinds, ", ")))
			case kind != "":
				return errAt(at, invalid("must have exactly one of %s, not %s and %s", strings.Join(generatorKinds, ", "), kind, k))
			default:
				kind = k
			}
		}
		if kind == "" {
			return errAt(at, invalid("must have exactly one of %s", strings.Join(generatorKinds, ", ")))
		}
		body, isMap := m[kind].(map[string]any)
		if !isMap {
			return errAt(at+"."+kind, invalid("must be a mapping, not %s", typeName(m[kind])))
		}
		if opt, ok := generatorOptionRefused[kind]; ok {
			if _, set := body[opt]; set {
				return errAt(at+"."+kind+"."+opt, ErrNotSupported)
			}
		}
		if kind != "matrix" && kind != "merge" {
			continue
		}
		nested, isList := body["generators"].([]any)
		switch {
		case kind == "matrix" && len(nested) != 2:
			return errAt(at+".matrix.generators", invalid("must be a list of exactly two generators"))
		case !isList || len(nested) == 0:
			return errAt(at+"."+kind+".generators", invalid("must be a non-empty list of generators"))
		}
		if err := checkGenerators(at+"."+kind+".generators", nested); err != nil {
			return err
		}
	}
	return nil
}

// checkTemplate checks the shape of a template; for Flotilla's, the field
// names of its spec. Values are not: they may be templates.
func checkTemplate(tmpl *node, argo bool) error {
	md, isMap := tmpl.m["metadata"].(map[string]any)
	if tmpl.m["metadata"] != nil && !isMap {
		return errAt(tmpl.at("metadata"), invalid("must be a mapping, not %s", typeName(tmpl.m["metadata"])))
	}
	spec, isMap := tmpl.m["spec"].(map[string]any)
	if !isMap {
		return errAt(tmpl.at("spec"), invalid("must be a mapping, not %s", typeName(tmpl.m["spec"])))
	}
	if argo {
		return nil
	}
	for _, k := range sortedKeys(tmpl.m) {
		if k != "metadata" && k != "spec" {
			return errAt(tmpl.at(k), ErrUnknownField)
		}
	}
	for _, k := range sortedKeys(md) {
		if !slices.Contains(templateMetaAllowed, k) && !strings.Contains(k, "{{") {
			return errAt(tmpl.at("metadata."+k), ErrUnknownField)
		}
	}
	return checkFields(tmpl.at("spec"), spec, (&pb.Application{}).ProtoReflect().Descriptor(), appNotSpec, false)
}
