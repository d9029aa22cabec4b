package manifest

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzParse: no input makes Parse panic, and each application, project
// or set it reads survives a round trip through its document.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullApplication))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: flotilla.dev/v1alpha1, kind: Cluster, metadata: {name: c}}\n"))
	f.Add([]byte("apiVersion: flotilla.dev/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec: {source: {kind: Helm, repoUrl: r}, rollout: {progressDeadlineSeconds: 5}}\n"))
	f.Add([]byte("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: s}\nspec: {generators: [{matrix: {generators: [{list: {}}, {clusters: {}}]}}], template: {spec: {}}}\n"))
	f.Add([]byte("apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: p}\nspec: {destinations: [{server: '*'}]}\n---\n{\"a\": [1, 2.5e400]}\n--- &a [*a]\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a]\n---\n- \xff\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		objs, _ := Parse("f.yaml", content)
		for _, o := range objs {
			var in, out proto.Message
			var doc map[string]any
			switch {
			case o.App != nil:
				in, doc = o.App, ApplicationDocument(o.App)
			case o.Project != nil:
				in, doc = o.Project, ProjectDocument(o.Project)
			case o.AppSet != nil:
				in, doc = o.AppSet, ApplicationSetDocument(o.AppSet)
			default:
				continue
			}
			b, err := Marshal(doc)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			back, errs := Parse("f.yaml", b)
			if len(errs) > 0 || len(back) != 1 {
				t.Fatalf("parse of\n%s\n: %d objects, %v", b, len(back), errs)
			}
			switch {
			case back[0].App != nil:
				out = back[0].App
			case back[0].Project != nil:
				out = back[0].Project
			case back[0].AppSet != nil:
				out = back[0].AppSet
			}
			in = proto.Clone(in)
			in.ProtoReflect().Clear(in.ProtoReflect().Descriptor().Fields().ByName("warnings"))
			if !proto.Equal(in, out) {
				t.Fatalf("round trip of\n%s\ngave %v, want %v", b, out, in)
			}
		}
	})
}
