package manifest

import (
	"reflect"
	"testing"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// TestFromMap: a document built in Go (ints, []string, map[string]string)
// reads as the same document decoded from YAML, and is not modified.
func TestFromMap(t *testing.T) {
	doc := map[string]any{
		"apiVersion": ArgoAPIVersion,
		"kind":       "Application",
		"metadata":   map[string]any{"name": "web", "labels": map[string]string{"a": "b"}},
		"spec": map[string]any{
			"source":      map[string]any{"repoURL": "https://git.example.com/web.git", "directory": map[string]any{"include": []string{"*.yaml"}}},
			"destination": map[string]string{"name": "prod"},
			"syncPolicy":  map[string]any{"retry": map[string]any{"limit": 3, "backoff": map[string]any{"duration": int64(7), "factor": 2.0}}},
		},
	}
	before := map[string]any{}
	for k, v := range doc {
		before[k] = v
	}
	o, err := FromMap("gen", 4, doc)
	if err != nil {
		t.Fatal(err)
	}
	if o.File != "gen" || o.Index != 4 || o.Name != "web" {
		t.Errorf("object %s %d %s", o.File, o.Index, o.Name)
	}
	wantEqual(t, &pb.Application{
		Name: "web", Project: "default", Labels: map[string]string{"a": "b"},
		Source: &pb.ApplicationSource{
			RepoUrl: "https://git.example.com/web.git", TargetRevision: "HEAD",
			Kind: pb.SourceKind_SOURCE_KIND_DIRECTORY, Directory: &pb.DirectorySource{Include: []string{"*.yaml"}},
		},
		Destination: &pb.Destination{Clusters: []string{"prod"}},
		SyncPolicy:  &pb.SyncPolicy{Retry: &pb.RetryPolicy{Limit: 3, BackoffSeconds: 7, Factor: 2}},
	}, o.App)
	if !reflect.DeepEqual(doc, before) {
		t.Errorf("doc modified")
	}
	_, err = FromMap("gen", 5, map[string]any{"apiVersion": ArgoAPIVersion, "kind": "Application", "metadata": map[string]any{"name": "x"}, "spec": func() {}})
	if err == nil || err.Error() != "gen: document 6 (Application x): invalid: json: unsupported type: func()" {
		t.Errorf("error %v", err)
	}
}

// TestJSON: a JSON document, and a list of documents.
func TestJSON(t *testing.T) {
	objs, errs := Parse("c.json", []byte(`{"apiVersion": "v1", "kind": "List", "items": [
		{"apiVersion": "flotilla.dev/v1alpha1", "kind": "Cluster", "metadata": {"name": "a", "labels": {"env": "dev"}}},
		{"apiVersion": "flotilla.dev/v1alpha1", "kind": "Cluster", "metadata": {"name": "b\u00e9"}}]}`))
	if len(errs) > 0 || len(objs) != 2 || objs[1].Name != "bé" || objs[0].Cluster.Labels["env"] != "dev" || objs[1].Index != 0 {
		t.Errorf("objects %+v, errors %v", objs, errs)
	}
}
