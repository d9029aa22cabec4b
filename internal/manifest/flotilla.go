package manifest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Fields of a message that are not part of its spec: metadata, or output only.
var (
	appNotSpec     = map[string]bool{"name": true, "labels": true, "annotations": true, "finalizers": true, "createdAt": true, "managedBy": true, "warnings": true}
	projectNotSpec = map[string]bool{"name": true, "managedBy": true, "warnings": true}
)

// sourceKinds are the names of SourceKind in documents.
var sourceKinds = map[pb.SourceKind]string{
	pb.SourceKind_SOURCE_KIND_DIRECTORY: "Directory",
	pb.SourceKind_SOURCE_KIND_KUSTOMIZE: "Kustomize",
	pb.SourceKind_SOURCE_KIND_HELM:      "Helm",
}

var sourceKindDesc = pb.SourceKind(0).Descriptor()

// flotillaApplication reads Flotilla's Application: its spec is the API's
// Application in protojson form, without metadata and output-only fields.
func flotillaApplication(root *node, md meta) (*pb.Application, error) {
	app := &pb.Application{}
	if err := readSpec(root, app, appNotSpec); err != nil {
		return nil, err
	}
	app.Name, app.Labels, app.Annotations, app.Finalizers = md.name, md.labels, md.annotations, md.finalizers
	return app, nil
}

func flotillaProject(root *node, md meta) (*pb.Project, error) {
	md.notKept("a Project", true, true, true)
	p := &pb.Project{}
	if err := readSpec(root, p, projectNotSpec); err != nil {
		return nil, err
	}
	p.Name = md.name
	return p, nil
}

// cluster reads a Cluster: the labels of a registered cluster.
func cluster(root *node, md meta) (*ClusterLabels, error) {
	md.notKept("a Cluster", false, true, true)
	if _, ok := root.get("spec"); ok {
		return nil, errAt("spec", fmt.Errorf("%w: a Cluster has no spec (its labels are metadata.labels)", ErrUnknownField))
	}
	return &ClusterLabels{Name: md.name, Labels: md.labels}, nil
}

// readSpec reads root's spec into msg, strictly: an unknown field is an error.
func readSpec(root *node, msg proto.Message, notSpec map[string]bool) error {
	v, ok := root.get("spec")
	if !ok {
		return nil
	}
	if err := checkFields("spec", v, msg.ProtoReflect().Descriptor(), notSpec, true); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return errAt("spec", invalid("%v", err))
	}
	if err := protojson.Unmarshal(b, msg); err != nil {
		return errAt("spec", invalid("%s", protoMessage(err)))
	}
	return nil
}

var protoPos = regexp.MustCompile(`\s*\(line \d+:\d+\):?`)

// protoMessage drops the prefix of a protojson error, whose position is in
// JSON written here, not in the document.
func protoMessage(err error) string {
	return protoPos.ReplaceAllString(strings.TrimPrefix(err.Error(), "proto: "), "")
}

// checkFields checks every field of v against md: lowerCamelCase JSON names
// only (notSpec ones refused) and the JSON type of each value, so that an
// error names its path. With rewrite, a SourceKind written Directory,
// Kustomize or Helm becomes its enum name, for protojson; without (a
// template), keys and values holding a template ({{) are not checked.
func checkFields(path string, v any, md protoreflect.MessageDescriptor, notSpec map[string]bool, rewrite bool) error {
	m, isMap := v.(map[string]any)
	if !isMap {
		if v == nil {
			return nil
		}
		return errAt(path, invalid("must be a mapping, not %s", typeName(v)))
	}
	for _, k := range sortedKeys(m) {
		if !rewrite && strings.Contains(k, "{{") {
			continue
		}
		at := path + "." + k
		fd := md.Fields().ByJSONName(k)
		if fd == nil || notSpec[k] {
			return errAt(at, ErrUnknownField)
		}
		if fd.Enum() != nil && fd.Enum().FullName() == sourceKindDesc.FullName() {
			if err := checkSourceKind(at, m, k, rewrite); err != nil {
				return err
			}
			continue
		}
		if err := checkValue(at, m[k], fd, rewrite); err != nil {
			return err
		}
	}
	return nil
}

// checkValue checks the value of one field.
func checkValue(at string, v any, fd protoreflect.FieldDescriptor, rewrite bool) error {
	switch {
	case v == nil:
		return nil
	case fd.IsMap():
		vm, isMap := v.(map[string]any)
		if !isMap {
			return errAt(at, invalid("must be a mapping, not %s", typeName(v)))
		}
		for _, k := range sortedKeys(vm) {
			if err := checkSingle(at+"."+k, vm[k], fd.MapValue(), rewrite); err != nil {
				return err
			}
		}
	case fd.IsList():
		l, isList := v.([]any)
		if !isList {
			return errAt(at, invalid("must be a list, not %s", typeName(v)))
		}
		for i, x := range l {
			if err := checkSingle(fmt.Sprintf("%s[%d]", at, i), x, fd, rewrite); err != nil {
				return err
			}
		}
	default:
		return checkSingle(at, v, fd, rewrite)
	}
	return nil
}

// checkSingle checks one value of fd's type (an element of a list or map).
func checkSingle(at string, v any, fd protoreflect.FieldDescriptor, rewrite bool) error {
	if s, isStr := v.(string); isStr && !rewrite && strings.Contains(s, "{{") {
		return nil
	}
	var ok bool
	want := ""
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if fd.Message().FullName() == "google.protobuf.Timestamp" {
			_, ok = v.(string)
			want = "a timestamp"
			break
		}
		return checkFields(at, v, fd.Message(), nil, rewrite)
	case protoreflect.StringKind, protoreflect.BytesKind:
		_, ok = v.(string)
		want = "a string"
	case protoreflect.BoolKind:
		_, ok = v.(bool)
		want = "true or false"
	case protoreflect.EnumKind:
		switch v.(type) {
		case string, json.Number:
			ok = true
		}
		want = "one of " + enumNames(fd.Enum())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		_, ok = v.(json.Number)
		want = "a number"
	default: // integers; protojson also reads them quoted
		_, err := toInt(v)
		ok = err == nil
		want = "an integer"
	}
	if !ok {
		return errAt(at, invalid("must be %s, not %s", want, typeName(v)))
	}
	return nil
}

func enumNames(ed protoreflect.EnumDescriptor) string {
	var names []string
	for i := 0; i < ed.Values().Len(); i++ {
		names = append(names, string(ed.Values().Get(i).Name()))
	}
	return strings.Join(names, ", ")
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func checkSourceKind(at string, m map[string]any, k string, rewrite bool) error {
	s, isStr := m[k].(string)
	if !isStr || strings.Contains(s, "{{") {
		return nil
	}
	for kind, name := range sourceKinds {
		if s == name || s == kind.String() {
			if rewrite {
				m[k] = kind.String()
			}
			return nil
		}
	}
	if s == pb.SourceKind_SOURCE_KIND_UNSPECIFIED.String() || s == "" {
		if rewrite {
			delete(m, k)
		}
		return nil
	}
	return errAt(at, invalid("%q is not Directory, Kustomize or Helm", s))
}
