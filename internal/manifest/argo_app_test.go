package manifest

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// parseOne parses content and wants exactly one object and no error.
func parseOne(t *testing.T, content string) Object {
	t.Helper()
	objs, errs := Parse("apps.yaml", []byte(content))
	for _, err := range errs {
		t.Errorf("unexpected error: %v", err)
	}
	if len(objs) != 1 {
		t.Fatalf("got %d objects, want 1", len(objs))
	}
	return objs[0]
}

// wantEqual fails the test unless got equals want.
func wantEqual(t *testing.T, want, got proto.Message) {
	t.Helper()
	if !proto.Equal(want, got) {
		o := prototext.MarshalOptions{Multiline: true}
		t.Errorf("got:\n%s\nwant:\n%s", o.Format(got), o.Format(want))
	}
}

func TestArgoApplication(t *testing.T) {
	tests := map[string]struct {
		in       string
		want     *pb.Application
		warnings []string
	}{
		// Argo CD's getting started guide.
		"guestbook": {
			in: `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
`,
			want: &pb.Application{
				Name:    "guestbook",
				Project: "default",
				Source: &pb.ApplicationSource{
					RepoUrl:        "https://github.com/argoproj/argocd-example-apps.git",
					TargetRevision: "HEAD",
					Path:           "guestbook",
				},
				Destination: &pb.Destination{InCluster: true, Namespace: "guestbook"},
			},
		},
		// The fields of Argo CD's operator manual application.yaml, with one
		// source type (helm, from Git).
		"full": {
			in:   fullApplication,
			want: fullApplicationProto,
			warnings: []string{
				"spec.source.helm.values: ignored: valuesObject is set and takes precedence",
				"spec.source.helm.parameters[1].forceString: not supported: the value is read as helm --set reads it",
				"spec.source.helm.fileParameters: not supported, ignored",
				"spec.source.helm.version: not supported, ignored",
				"spec.source.helm.namespace: not supported, ignored",
				"spec.syncPolicy.managedNamespaceMetadata: not supported, ignored",
				"spec.info: not shown, ignored",
			},
		},
		// A child of an app of apps, ordered by its sync wave.
		"app of apps child": {
			in: `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: child-b
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "2"
  finalizers:
  - resources-finalizer.argocd.argoproj.io
  labels:
    team: web
spec:
  destination:
    name: in-cluster
    namespace: web
  source:
    repoURL: https://git.example.com/apps.git
    path: apps/b
    kustomize:
      namePrefix: b-
      commonLabels: {tier: web}
      images: [nginx=nginx:1.27]
      replicas:
      - {name: web, count: "3"}
      - {name: api, count: 2}
      patches:
      - patch: '[{"op":"replace","path":"/spec/replicas","value":3}]'
        target: {kind: Deployment, name: web, labelSelector: "app=web"}
      version: v5.0.0
  syncPolicy:
    automated: {}
    retry:
      limit: 3
      backoff: {duration: 90, maxDuration: 1500ms}
`,
			want: &pb.Application{
				Name:        "child-b",
				Project:     "default",
				Labels:      map[string]string{"team": "web"},
				Annotations: map[string]string{"argocd.argoproj.io/sync-wave": "2"},
				Finalizers:  []string{"resources-finalizer.argocd.argoproj.io"},
				Source: &pb.ApplicationSource{
					RepoUrl: "https://git.example.com/apps.git", TargetRevision: "HEAD", Path: "apps/b",
					Kind: pb.SourceKind_SOURCE_KIND_KUSTOMIZE,
					Kustomize: &pb.KustomizeSource{
						NamePrefix:   "b-",
						CommonLabels: map[string]string{"tier": "web"},
						Images:       []string{"nginx=nginx:1.27"},
						Replicas:     []*pb.KustomizeReplica{{Name: "web", Count: 3}, {Name: "api", Count: 2}},
						Patches: []*pb.KustomizePatch{{
							Patch:  `[{"op":"replace","path":"/spec/replicas","value":3}]`,
							Target: &pb.KustomizeSelector{Kind: "Deployment", Name: "web", LabelSelector: "app=web"},
						}},
					},
				},
				Destination: &pb.Destination{InCluster: true, Namespace: "web"},
				SyncPolicy: &pb.SyncPolicy{
					Automated: true,
					Retry:     &pb.RetryPolicy{Limit: 3, BackoffSeconds: 90, MaxBackoffSeconds: 2},
				},
			},
			warnings: []string{"spec.source.kustomize.version: not supported, ignored"},
		},
		"named cluster, directory, unknown fields": {
			in: `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: d, uid: abc, resourceVersion: "12", ownerReferences: []}
operation: {sync: {revision: HEAD}}
spec:
  project: ops
  source:
    repoURL: https://git.example.com/d.git
    targetRevision: main
    directory: {recurse: true, include: '{*.yaml,*.json}', exclude: 'test/*', jsonnet: {}}
    helm: {}
  destination: {name: prod-eu, namespace: d}
  syncPolicy:
    automated: {enabled: false, prune: true}
    syncOptions: [CreateNamespace=true]
  revisionHistoryLimit: 3
  colour: blue
status: {sync: {status: Synced}}
`,
			want: &pb.Application{
				Name: "d", Project: "ops",
				Source: &pb.ApplicationSource{
					RepoUrl: "https://git.example.com/d.git", TargetRevision: "main",
					Kind:      pb.SourceKind_SOURCE_KIND_DIRECTORY,
					Directory: &pb.DirectorySource{Recurse: true, Include: []string{"*.yaml", "*.json"}, Exclude: []string{"test/*"}},
				},
				Destination:          &pb.Destination{Clusters: []string{"prod-eu"}, Namespace: "d"},
				SyncPolicy:           &pb.SyncPolicy{Prune: true, Options: map[string]string{"CreateNamespace": "true"}},
				RevisionHistoryLimit: 3,
			},
			warnings: []string{
				"metadata.ownerReferences: unknown field, ignored",
				"operation: not supported, ignored (an operation is not run; use flotilla app sync)",
				"spec.colour: unknown field, ignored",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := parseOne(t, tc.in)
			if o.Kind != KindApplication || o.APIVersion != ArgoAPIVersion || o.Name != tc.want.Name || o.File != "apps.yaml" {
				t.Errorf("object %s %s %s from %s", o.APIVersion, o.Kind, o.Name, o.File)
			}
			want := proto.Clone(tc.want).(*pb.Application)
			want.Warnings = tc.warnings
			wantEqual(t, want, o.App)
			if !slices.Equal(o.Warnings, tc.warnings) {
				t.Errorf("warnings:\n got %q\nwant %q", o.Warnings, tc.warnings)
			}
		})
	}
}

const fullApplication = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: argocd
  finalizers:
    - resources-finalizer.argocd.argoproj.io
  labels:
    name: guestbook
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
    helm:
      passCredentials: false
      parameters:
      - name: "nginx-ingress.controller.service.annotations.external-dns\\.alpha\\.kubernetes\\.io/hostname"
        value: mydomain.example.com
      - name: "ingress.annotations.kubernetes\\.io/tls-acme"
        value: "true"
        forceString: true
      fileParameters:
      - name: config
        path: files/config.json
      releaseName: guestbook
      valueFiles:
      - values-prod.yaml
      ignoreMissingValueFiles: false
      values: |
        ingress:
          enabled: true
      valuesObject:
        ingress:
          enabled: true
          path: /
          hosts:
            - mydomain.example.com
      skipCrds: false
      skipSchemaValidation: false
      version: v2
      kubeVersion: 1.30.0
      apiVersions:
        - traefik.io/v1alpha1/TLSOption
      namespace: custom-namespace
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  info:
    - name: 'Example:'
      value: 'https://example.com'
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
      allowEmpty: false
    syncOptions:
    - Validate=false
    - CreateNamespace=true
    - PrunePropagationPolicy=foreground
    - PruneLast=true
    - RespectIgnoreDifferences=true
    - ApplyOutOfSyncOnly=true
    managedNamespaceMetadata:
      labels:
        any: label
    retry:
      limit: 5
      backoff:
        duration: 5s
        factor: 2
        maxDuration: 3m
  ignoreDifferences:
  - group: apps
    kind: Deployment
    jsonPointers:
    - /spec/replicas
  - kind: ConfigMap
    jqPathExpressions:
    - '.data["config.yaml"].auth'
  - group: "*"
    kind: "*"
    managedFieldsManagers:
    - kube-controller-manager
    name: my-deployment
    namespace: my-namespace
  revisionHistoryLimit: 10
`

var fullApplicationProto = &pb.Application{
	Name:       "guestbook",
	Project:    "default",
	Labels:     map[string]string{"name": "guestbook"},
	Finalizers: []string{"resources-finalizer.argocd.argoproj.io"},
	Source: &pb.ApplicationSource{
		RepoUrl:        "https://github.com/argoproj/argocd-example-apps.git",
		TargetRevision: "HEAD",
		Path:           "guestbook",
		Kind:           pb.SourceKind_SOURCE_KIND_HELM,
		Helm: &pb.HelmSource{
			ReleaseName: "guestbook",
			ValueFiles:  []string{"values-prod.yaml"},
			Values:      "ingress:\n  enabled: true\n  hosts:\n  - mydomain.example.com\n  path: /\n",
			Parameters: []string{
				`nginx-ingress.controller.service.annotations.external-dns\.alpha\.kubernetes\.io/hostname=mydomain.example.com`,
				`ingress.annotations.kubernetes\.io/tls-acme=true`,
			},
			KubeVersion: "1.30.0",
			ApiVersions: []string{"traefik.io/v1alpha1/TLSOption"},
		},
	},
	Destination: &pb.Destination{InCluster: true, Namespace: "guestbook"},
	SyncPolicy: &pb.SyncPolicy{
		Automated: true, Prune: true, SelfHeal: true,
		Options: map[string]string{
			"Validate": "false", "CreateNamespace": "true", "PrunePropagationPolicy": "foreground",
			"PruneLast": "true", "RespectIgnoreDifferences": "true", "ApplyOutOfSyncOnly": "true",
		},
		Retry: &pb.RetryPolicy{Limit: 5, BackoffSeconds: 5, Factor: 2, MaxBackoffSeconds: 180},
	},
	IgnoreDifferences: []*pb.IgnoreDifference{
		{Group: "apps", Kind: "Deployment", JsonPointers: []string{"/spec/replicas"}},
		{Kind: "ConfigMap", JqPathExpressions: []string{`.data["config.yaml"].auth`}},
		{Group: "*", Kind: "*", Name: "my-deployment", Namespace: "my-namespace", ManagedFieldsManagers: []string{"kube-controller-manager"}},
	},
	RevisionHistoryLimit: 10,
}
