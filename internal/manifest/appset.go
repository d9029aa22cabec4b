package manifest

import (
	"encoding/json"
	"fmt"
	"maps"
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
	// Argo CD's spec.syncPolicy.applicationsSync values, kept for the hub:
	// create-only never updates nor deletes a generated application,
	// create-update never deletes, create-delete never updates.
	applicationsSyncPolicies = []string{"create-only", "create-update", "create-delete", "sync"}
)

// requeueIgnored is the warning for a generator's requeueAfterSeconds.
const requeueIgnored = "not supported, ignored (the set generates again on every new commit)"

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
	if l, err = checkGenerators(spec, "spec.generators", l); err != nil {
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
		keptSP := map[string]any{}
		if v, ok := sp.get("preserveResourcesOnDeletion"); ok {
			if _, err := sp.boolean("preserveResourcesOnDeletion"); err != nil {
				return nil, err
			}
			keptSP["preserveResourcesOnDeletion"] = v
		}
		if _, ok := sp.get("applicationsSync"); ok {
			v, err := sp.str("applicationsSync")
			if err != nil {
				return nil, err
			}
			if !slices.Contains(applicationsSyncPolicies, v) {
				return nil, errAt(sp.at("applicationsSync"), invalid("%q is not one of %s", v, strings.Join(applicationsSyncPolicies, ", ")))
			}
			keptSP["applicationsSync"] = v
		}
		if err := sp.done(); err != nil {
			return nil, err
		}
		if len(keptSP) > 0 {
			kept["syncPolicy"] = keptSP
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
// the set generates. It returns gens without requeueAfterSeconds (Flotilla
// generates again on every new commit instead), warned about through n;
// gens itself is not modified.
func checkGenerators(n *node, path string, gens []any) ([]any, error) {
	out := make([]any, 0, len(gens))
	for i, g := range gens {
		at := fmt.Sprintf("%s[%d]", path, i)
		m, isMap := g.(map[string]any)
		if !isMap {
			return nil, errAt(at, invalid("must be a mapping, not %s", typeName(g)))
		}
		kind := ""
		for _, k := range sortedKeys(m) {
			switch {
			case k == "selector":
			case k == "requeueAfterSeconds":
			case slices.Contains(generatorRefused, k):
				return nil, errAt(at+"."+k, ErrNotSupported)
			case !slices.Contains(generatorKinds, k):
				return nil, errAt(at+"."+k, invalid("unknown generator (expected one of %s)", strings.Join(generatorKinds, ", ")))
			case kind != "":
				return nil, errAt(at, invalid("must have exactly one of %s, not %s and %s", strings.Join(generatorKinds, ", "), kind, k))
			default:
				kind = k
			}
		}
		if kind == "" {
			return nil, errAt(at, invalid("must have exactly one of %s", strings.Join(generatorKinds, ", ")))
		}
		body, isMap := m[kind].(map[string]any)
		if !isMap {
			return nil, errAt(at+"."+kind, invalid("must be a mapping, not %s", typeName(m[kind])))
		}
		if opt, ok := generatorOptionRefused[kind]; ok {
			if _, set := body[opt]; set {
				return nil, errAt(at+"."+kind+"."+opt, ErrNotSupported)
			}
		}
		m = withoutRequeue(n, at, m)
		body = withoutRequeue(n, at+"."+kind, body)
		if kind == "matrix" || kind == "merge" {
			nested, isList := body["generators"].([]any)
			switch {
			case kind == "matrix" && len(nested) != 2:
				return nil, errAt(at+".matrix.generators", invalid("must be a list of exactly two generators"))
			case !isList || len(nested) == 0:
				return nil, errAt(at+"."+kind+".generators", invalid("must be a non-empty list of generators"))
			}
			nested, err := checkGenerators(n, at+"."+kind+".generators", nested)
			if err != nil {
				return nil, err
			}
			body = maps.Clone(body)
			body["generators"] = nested
		}
		m = maps.Clone(m)
		m[kind] = body
		out = append(out, m)
	}
	return out, nil
}

// withoutRequeue returns m without requeueAfterSeconds, warned about at
// path when it is set; m itself is not modified.
func withoutRequeue(n *node, path string, m map[string]any) map[string]any {
	v, ok := m["requeueAfterSeconds"]
	if !ok {
		return m
	}
	if !isZero(v) {
		n.warn(path+".requeueAfterSeconds", "%s", requeueIgnored)
	}
	m = maps.Clone(m)
	delete(m, "requeueAfterSeconds")
	return m
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
