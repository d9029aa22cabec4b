package manifest

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

var fullFlotillaApp = &pb.Application{
	Name:        "web",
	Project:     "team-web",
	Labels:      map[string]string{"team": "web", "tier": "front"},
	Annotations: map[string]string{"argocd.argoproj.io/sync-wave": "-1"},
	Finalizers:  []string{"resources-finalizer.argocd.argoproj.io"},
	Source: &pb.ApplicationSource{
		RepoUrl: "https://git.example.com/web.git", TargetRevision: "v1.2.3", Path: "deploy/{{cluster.name}}",
		Kind:      pb.SourceKind_SOURCE_KIND_HELM,
		Directory: &pb.DirectorySource{Recurse: true, Include: []string{"*.yaml"}, Exclude: []string{"test/*"}},
		Helm: &pb.HelmSource{
			ReleaseName: "web", ValueFiles: []string{"values.yaml", "prod.yaml"}, Values: "replicas: 3\n",
			Parameters: []string{"image.tag=1.2.3"}, KubeVersion: "1.30.0", ApiVersions: []string{"monitoring.coreos.com/v1"}, SkipCrds: true,
		},
		Kustomize: &pb.KustomizeSource{
			NamePrefix: "p-", NameSuffix: "-s", CommonLabels: map[string]string{"a": "b"}, Images: []string{"nginx:1.27"},
			Namespace: "web", CommonAnnotations: map[string]string{"c": "d"},
			Patches: []*pb.KustomizePatch{{Patch: "- op: remove\n  path: /x\n", Path: "p.yaml", Target: &pb.KustomizeSelector{
				Group: "apps", Version: "v1", Kind: "Deployment", Name: "web", Namespace: "web", LabelSelector: "a=b", AnnotationSelector: "c=d",
			}}},
			Replicas: []*pb.KustomizeReplica{{Name: "web", Count: 4}},
		},
	},
	Destination: &pb.Destination{Clusters: []string{"prod-eu"}, ClusterSelector: map[string]string{"env": "prod"}, Namespace: "web", InCluster: true},
	SyncPolicy: &pb.SyncPolicy{
		Automated: true, Prune: true, SelfHeal: true, Options: map[string]string{"CreateNamespace": "true"},
		Retry:    &pb.RetryPolicy{Limit: 5, BackoffSeconds: 5, Factor: 2, MaxBackoffSeconds: 1 << 40},
		Approval: "required", AllowEmpty: true, WaveTimeoutSeconds: 600,
	},
	IgnoreDifferences: []*pb.IgnoreDifference{{
		Group: "apps", Kind: "Deployment", Name: "web", Namespace: "web", JsonPointers: []string{"/spec/replicas"},
		JqPathExpressions: []string{".a"}, ManagedFieldsManagers: []string{"hpa"},
	}},
	DependsOn: []string{"db", "cache"},
	Rollout: &pb.RolloutStrategy{
		Steps: []*pb.RolloutStep{
			{Name: "canary", Selector: map[string]string{"ring": "0"}, Count: 1, BakeSeconds: 300, Pause: true},
			{Name: "half", Percent: 50},
		},
		MaxUnavailable: 2, ProgressDeadlineSeconds: 900, OnFailure: "revert",
	},
	RevisionHistoryLimit: 20,
}

var fullFlotillaProject = &pb.Project{
	Name: "team-web", Description: "Web team",
	SourceRepos:                []string{"https://git.example.com/*"},
	Destinations:               []*pb.ProjectDestination{{Cluster: "prod-*", Namespace: "web-*"}, {Cluster: "in-cluster", Namespace: "*"}},
	ClusterResourceWhitelist:   []*pb.GroupKind{{Kind: "Namespace"}},
	NamespaceResourceBlacklist: []*pb.GroupKind{{Kind: "ResourceQuota"}},
	SyncWindows: []*pb.SyncWindow{{
		Kind: "deny", Schedule: "0 22 * * *", Duration: "8h", Applications: []string{"web-*"}, Clusters: []string{"prod-*"},
		Namespaces: []string{"web"}, ManualSync: true, TimeZone: "Europe/Paris",
	}},
	ClusterResourceBlacklist:   []*pb.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}},
	NamespaceResourceWhitelist: []*pb.GroupKind{{Group: "apps", Kind: "Deployment"}},
}

// TestRoundTrip: Parse(Marshal(XDocument(x))) gives back x, but for the
// output-only fields, which are not written.
func TestRoundTrip(t *testing.T) {
	withOutput := func(m proto.Message) proto.Message {
		c := proto.Clone(m)
		switch x := c.(type) {
		case *pb.Application:
			x.CreatedAt, x.Warnings = timestamppb.Now(), []string{"w"}
			x.ManagedBy = &pb.ManagedBy{Kind: "ConfigRepository", RepoUrl: "https://git.example.com/config.git"}
		case *pb.Project:
			x.Warnings, x.ManagedBy = []string{"w"}, &pb.ManagedBy{Kind: "ConfigRepository"}
		case *pb.ApplicationSet:
			x.CreatedAt, x.Warnings, x.Applications, x.Error = timestamppb.Now(), []string{"w"}, []string{"a"}, "e"
		}
		return c
	}
	argoSet := &pb.ApplicationSet{
		Name: "s", ApiVersion: ArgoAPIVersion, Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"c": "d"},
		SpecJson: `{"generators":[{"list":{"elements":[{"big":12345678901234567890,"n":1.5}]}}],"goTemplate":true,` +
			`"syncPolicy":{"applicationsSync":"create-update","preserveResourcesOnDeletion":true},"template":{"metadata":{"name":"{{.n}}"},"spec":{"project":"default"}}}`,
	}
	flotillaSet := &pb.ApplicationSet{
		Name: "f", ApiVersion: APIVersion,
		SpecJson: `{"generators":[{"clusters":{}}],"template":{"metadata":{"name":"web-{{name}}"},"spec":{"source":{"kind":"Helm","repoUrl":"r"}}}}`,
	}
	tests := map[string]struct {
		in  proto.Message
		doc func(proto.Message) map[string]any
	}{
		"application":  {fullFlotillaApp, func(m proto.Message) map[string]any { return ApplicationDocument(m.(*pb.Application)) }},
		"minimal app":  {&pb.Application{Name: "m"}, func(m proto.Message) map[string]any { return ApplicationDocument(m.(*pb.Application)) }},
		"project":      {fullFlotillaProject, func(m proto.Message) map[string]any { return ProjectDocument(m.(*pb.Project)) }},
		"argo set":     {argoSet, func(m proto.Message) map[string]any { return ApplicationSetDocument(m.(*pb.ApplicationSet)) }},
		"flotilla set": {flotillaSet, func(m proto.Message) map[string]any { return ApplicationSetDocument(m.(*pb.ApplicationSet)) }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := Marshal(tc.doc(withOutput(tc.in)), tc.doc(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "createdAt") || strings.Contains(string(b), "managedBy") || strings.Contains(string(b), "warnings") {
				t.Errorf("output-only fields written:\n%s", b)
			}
			objs, errs := Parse("out.yaml", b)
			if len(errs) > 0 || len(objs) != 2 {
				t.Fatalf("%d objects, errors %v, from:\n%s", len(objs), errs, b)
			}
			for _, o := range objs {
				if len(o.Warnings) > 0 {
					t.Errorf("warnings %q", o.Warnings)
				}
				var got proto.Message
				switch {
				case o.App != nil:
					got = o.App
				case o.Project != nil:
					got = o.Project
				case o.AppSet != nil:
					got = o.AppSet
				}
				wantEqual(t, tc.in, got)
			}
			if t.Failed() {
				t.Logf("document:\n%s", b)
			}
		})
	}
}

func TestApplicationDocument(t *testing.T) {
	app := &pb.Application{
		Name: "web", Labels: map[string]string{"team": "web"},
		Source:      &pb.ApplicationSource{RepoUrl: "https://git.example.com/web.git", Kind: pb.SourceKind_SOURCE_KIND_KUSTOMIZE},
		Destination: &pb.Destination{InCluster: true},
		SyncPolicy:  &pb.SyncPolicy{Retry: &pb.RetryPolicy{BackoffSeconds: 5}},
	}
	b, err := Marshal(ApplicationDocument(app))
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: flotilla.dev/v1alpha1
kind: Application
metadata:
  labels:
    team: web
  name: web
spec:
  destination:
    inCluster: true
  source:
    kind: Kustomize
    repoUrl: https://git.example.com/web.git
  syncPolicy:
    retry:
      backoffSeconds: 5
`
	if string(b) != want {
		t.Errorf("got:\n%s\nwant:\n%s", b, want)
	}
}
