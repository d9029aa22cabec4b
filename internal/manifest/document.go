package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"sigs.k8s.io/yaml"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// ApplicationDocument is a as Flotilla's Application, a map ready for
// yaml.Marshal. Output-only fields (created_at, managed_by, warnings) are
// not written.
func ApplicationDocument(a *pb.Application) map[string]any {
	md := metadata(a.GetName(), a.GetLabels(), a.GetAnnotations())
	if len(a.GetFinalizers()) > 0 {
		md["finalizers"] = stringList(a.GetFinalizers())
	}
	c := &pb.Application{}
	if a != nil {
		c = proto.Clone(a).(*pb.Application)
	}
	c.Name, c.Labels, c.Annotations, c.Finalizers = "", nil, nil, nil
	c.CreatedAt, c.ManagedBy, c.Warnings = nil, nil, nil
	spec := specMap(c)
	if src, ok := spec["source"].(map[string]any); ok {
		if k, ok := src["kind"].(string); ok {
			if name := sourceKinds[pb.SourceKind(pb.SourceKind_value[k])]; name != "" {
				src["kind"] = name
			}
		}
	}
	return map[string]any{"apiVersion": APIVersion, "kind": KindApplication, "metadata": md, "spec": spec}
}

// ProjectDocument is p as Flotilla's Project.
func ProjectDocument(p *pb.Project) map[string]any {
	c := &pb.Project{}
	if p != nil {
		c = proto.Clone(p).(*pb.Project)
	}
	c.Name, c.ManagedBy, c.Warnings = "", nil, nil
	return map[string]any{"apiVersion": APIVersion, "kind": KindProject, "metadata": metadata(p.GetName(), nil, nil), "spec": specMap(c)}
}

// ApplicationSetDocument is s as an ApplicationSet of the apiVersion it
// was declared with: Argo CD's (argoproj.io/v1alpha1), whose template is
// an Argo CD Application, or else Flotilla's. Its spec is spec_json (a
// spec_json that is not a JSON object leaves the spec out).
func ApplicationSetDocument(s *pb.ApplicationSet) map[string]any {
	apiVersion := APIVersion
	if strings.HasPrefix(s.GetApiVersion(), argoGroup+"/") {
		apiVersion = s.GetApiVersion()
	}
	doc := map[string]any{"apiVersion": apiVersion, "kind": KindApplicationSet, "metadata": metadata(s.GetName(), s.GetLabels(), s.GetAnnotations())}
	dec := json.NewDecoder(strings.NewReader(s.GetSpecJson()))
	dec.UseNumber()
	var spec map[string]any
	if err := dec.Decode(&spec); err == nil && spec != nil {
		doc["spec"] = spec
	}
	return doc
}

// Marshal writes documents as one multi-document YAML file.
func Marshal(docs ...map[string]any) ([]byte, error) {
	var out bytes.Buffer
	for i, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if i > 0 {
			out.WriteString("---\n")
		}
		out.Write(b)
	}
	return out.Bytes(), nil
}

func metadata(name string, labels, annotations map[string]string) map[string]any {
	md := map[string]any{"name": name}
	if len(labels) > 0 {
		md["labels"] = stringMap(labels)
	}
	if len(annotations) > 0 {
		md["annotations"] = stringMap(annotations)
	}
	return md
}

func stringMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func stringList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// specMap is msg's protojson form as a map. Integers protojson writes as
// strings (int64) are written as numbers. Strings that are not UTF-8 (which
// protojson refuses) have their bad bytes replaced.
func specMap(msg proto.Message) map[string]any {
	validUTF8(msg.ProtoReflect())
	b, err := protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false}.Marshal(msg)
	if err != nil {
		return map[string]any{}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return map[string]any{}
	}
	int64Numbers(m, msg.ProtoReflect().Descriptor())
	return m
}

// int64Numbers turns the int64 fields protojson writes as strings into numbers.
func int64Numbers(v any, md protoreflect.MessageDescriptor) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		x, ok := m[fd.JSONName()]
		if !ok {
			continue
		}
		switch {
		case fd.IsMap():
			if vm, ok := x.(map[string]any); ok && fd.MapValue().Message() != nil {
				for _, y := range vm {
					int64Numbers(y, fd.MapValue().Message())
				}
			}
		case fd.Message() != nil:
			if l, ok := x.([]any); ok && fd.IsList() {
				for _, y := range l {
					int64Numbers(y, fd.Message())
				}
			} else {
				int64Numbers(x, fd.Message())
			}
		case !fd.IsList() && (fd.Kind() == protoreflect.Int64Kind || fd.Kind() == protoreflect.Sint64Kind || fd.Kind() == protoreflect.Sfixed64Kind):
			if s, ok := x.(string); ok {
				m[fd.JSONName()] = json.Number(s)
			}
		}
	}
}

// validUTF8 replaces the bytes of m's strings that are not UTF-8.
func validUTF8(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			mv := v.Map()
			var bad []protoreflect.MapKey
			mv.Range(func(k protoreflect.MapKey, x protoreflect.Value) bool {
				if fd.MapValue().Message() != nil {
					validUTF8(x.Message())
				} else if s, ok := x.Interface().(string); ok && !utf8.ValidString(s) {
					mv.Set(k, protoreflect.ValueOfString(strings.ToValidUTF8(s, "\uFFFD")))
				}
				if s, ok := k.Interface().(string); ok && !utf8.ValidString(s) {
					bad = append(bad, k)
				}
				return true
			})
			for _, k := range bad {
				x := mv.Get(k)
				mv.Clear(k)
				mv.Set(protoreflect.ValueOfString(strings.ToValidUTF8(k.String(), "\uFFFD")).MapKey(), x)
			}
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				if fd.Message() != nil {
					validUTF8(l.Get(i).Message())
				} else if s, ok := l.Get(i).Interface().(string); ok && !utf8.ValidString(s) {
					l.Set(i, protoreflect.ValueOfString(strings.ToValidUTF8(s, "\uFFFD")))
				}
			}
		case fd.Message() != nil:
			validUTF8(v.Message())
		case fd.Kind() == protoreflect.StringKind && !utf8.ValidString(v.String()):
			m.Set(fd, protoreflect.ValueOfString(strings.ToValidUTF8(v.String(), "\uFFFD")))
		}
		return true
	})
}
