package manifest

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func TestProject(t *testing.T) {
	tests := map[string]struct {
		in       string
		want     *pb.Project
		warnings []string
	}{
		"argo every field": {
			in: `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: my-project
  namespace: argocd
  labels: {team: platform}
  finalizers:
    - resources-finalizer.argocd.argoproj.io
spec:
  description: Example Project
  sourceRepos:
  - '*'
  destinations:
  - namespace: guestbook
    server: https://kubernetes.default.svc
  - namespace: '*'
    server: '*'
  - namespace: prod-*
    name: prod-eu
  - namespace: x
    server: https://10.0.0.1:6443
  clusterResourceWhitelist:
  - group: ''
    kind: Namespace
  clusterResourceBlacklist:
  - group: rbac.authorization.k8s.io
    kind: ClusterRole
  namespaceResourceBlacklist:
  - group: ''
    kind: ResourceQuota
  - group: ''
    kind: LimitRange
  namespaceResourceWhitelist:
  - group: 'apps'
    kind: Deployment
  roles:
  - name: read-only
    policies:
    - p, proj:my-project:read-only, applications, get, my-project/*, allow
  orphanedResources:
    warn: false
  syncWindows:
  - kind: allow
    schedule: '10 1 * * *'
    duration: 1h
    applications:
    - '*-prod'
    manualSync: true
  - kind: deny
    schedule: '0 22 * * *'
    duration: 1h
    namespaces:
    - default
    clusters:
    - in-cluster
    timeZone: Europe/Paris
    andOperator: true
  signatureKeys:
  - keyID: ABCDEF1234567890
  sourceNamespaces:
  - argocd-apps-*
  permitOnlyProjectScopedClusters: false
  destinationServiceAccounts:
  - server: https://kubernetes.default.svc
    namespace: guestbook
    defaultServiceAccount: guestbook-deployer
`,
			want: &pb.Project{
				Name:        "my-project",
				Description: "Example Project",
				SourceRepos: []string{"*"},
				Destinations: []*pb.ProjectDestination{
					{Cluster: "in-cluster", Namespace: "guestbook"},
					{Cluster: "*", Namespace: "*"},
					{Cluster: "prod-eu", Namespace: "prod-*"},
				},
				ClusterResourceWhitelist:   []*pb.GroupKind{{Kind: "Namespace"}},
				ClusterResourceBlacklist:   []*pb.GroupKind{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}},
				NamespaceResourceBlacklist: []*pb.GroupKind{{Kind: "ResourceQuota"}, {Kind: "LimitRange"}},
				NamespaceResourceWhitelist: []*pb.GroupKind{{Group: "apps", Kind: "Deployment"}},
				SyncWindows: []*pb.SyncWindow{
					{Kind: "allow", Schedule: "10 1 * * *", Duration: "1h", Applications: []string{"*-prod"}, ManualSync: true},
					{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Namespaces: []string{"default"}, Clusters: []string{"in-cluster"}, TimeZone: "Europe/Paris"},
				},
			},
			warnings: []string{
				"metadata.labels: not kept for a Project, ignored",
				"metadata.finalizers: not kept for a Project, ignored",
				"spec.destinations[3]: server https://10.0.0.1:6443 matches no cluster (Flotilla addresses clusters by registered name: use name), entry dropped",
				"spec.syncWindows[1].andOperator: not supported, ignored (a window matches an application by any of its lists)",
				"spec.roles: not supported, ignored",
				"spec.signatureKeys: not supported, ignored",
				"spec.sourceNamespaces: not supported, ignored",
				"spec.destinationServiceAccounts: not supported, ignored",
			},
		},
		"flotilla": {
			in: `apiVersion: flotilla.dev/v1alpha1
kind: Project
metadata: {name: web}
spec:
  description: Web team
  sourceRepos: [https://git.example.com/*]
  destinations: [{cluster: prod-*, namespace: web-*}]
  clusterResourceWhitelist: [{group: "", kind: Namespace}]
  syncWindows: [{kind: deny, schedule: "0 22 * * *", duration: 8h, manualSync: true}]
`,
			want: &pb.Project{
				Name: "web", Description: "Web team",
				SourceRepos:              []string{"https://git.example.com/*"},
				Destinations:             []*pb.ProjectDestination{{Cluster: "prod-*", Namespace: "web-*"}},
				ClusterResourceWhitelist: []*pb.GroupKind{{Kind: "Namespace"}},
				SyncWindows:              []*pb.SyncWindow{{Kind: "deny", Schedule: "0 22 * * *", Duration: "8h", ManualSync: true}},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := parseOne(t, tc.in)
			if o.Kind != KindProject || o.Name != tc.want.Name {
				t.Errorf("object %s %s", o.Kind, o.Name)
			}
			want := proto.Clone(tc.want).(*pb.Project)
			want.Warnings = tc.warnings
			wantEqual(t, want, o.Project)
			if !slices.Equal(o.Warnings, tc.warnings) {
				t.Errorf("warnings:\n got %q\nwant %q", o.Warnings, tc.warnings)
			}
		})
	}
}
