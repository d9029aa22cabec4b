package manifest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func TestApplicationSet(t *testing.T) {
	tests := map[string]struct {
		in       string
		want     *pb.ApplicationSet
		warnings []string
	}{
		"argo list and clusters": {
			in: `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook
  namespace: argocd
  labels: {team: web}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - cluster: engineering-dev
        url: https://1.2.3.4
  - clusters:
      selector:
        matchLabels:
          env: prod
    selector:
      matchLabels: {cluster: engineering-dev}
  - matrix:
      generators:
      - git: {repoURL: https://git.example.com/apps.git, revision: HEAD, directories: [{path: apps/*}], requeueAfterSeconds: 180}
      - clusters: {}
  - git: {repoURL: https://git.example.com/apps.git, files: [{path: 'c/*.json'}], requeueAfterSeconds: 0}
  strategy:
    type: RollingSync
  syncPolicy:
    preserveResourcesOnDeletion: true
    applicationsSync: create-only
  template:
    metadata:
      name: '{{.cluster}}-guestbook'
    spec:
      project: "my-project"
      source:
        repoURL: https://github.com/argoproj/argo-cd.git
        targetRevision: HEAD
        path: applicationset/examples/list-generator/guestbook/{{.cluster}}
      destination:
        server: '{{.url}}'
        namespace: guestbook
`,
			want: &pb.ApplicationSet{
				Name: "guestbook", ApiVersion: ArgoAPIVersion, Labels: map[string]string{"team": "web"},
				SpecJson: `{"generators":[{"list":{"elements":[{"cluster":"engineering-dev","url":"https://1.2.3.4"}]}},` +
					`{"clusters":{"selector":{"matchLabels":{"env":"prod"}}},"selector":{"matchLabels":{"cluster":"engineering-dev"}}},` +
					`{"matrix":{"generators":[{"git":{"directories":[{"path":"apps/*"}],"repoURL":"https://git.example.com/apps.git","revision":"HEAD"}},{"clusters":{}}]}},` +
					`{"git":{"files":[{"path":"c/*.json"}],"repoURL":"https://git.example.com/apps.git"}}],` +
					`"goTemplate":true,"goTemplateOptions":["missingkey=error"],"syncPolicy":{"applicationsSync":"create-only","preserveResourcesOnDeletion":true},` +
					`"template":{"metadata":{"name":"{{.cluster}}-guestbook"},"spec":{"destination":{"namespace":"guestbook","server":"{{.url}}"},` +
					`"project":"my-project","source":{"path":"applicationset/examples/list-generator/guestbook/{{.cluster}}","repoURL":"https://github.com/argoproj/argo-cd.git","targetRevision":"HEAD"}}}}`,
			},
			warnings: []string{
				"spec.generators[2].matrix.generators[0].git.requeueAfterSeconds: not supported, ignored (the set generates again on every new commit)",
				"spec.strategy: not supported, ignored",
			},
		},
		"flotilla": {
			in: `apiVersion: flotilla.dev/v1alpha1
kind: ApplicationSet
metadata: {name: web, annotations: {owner: web}}
spec:
  generators:
  - clusters: {selector: {matchLabels: {env: prod}}}
  - list: {elements: [{cluster: in-cluster}]}
    requeueAfterSeconds: 60
  template:
    metadata: {name: 'web-{{name}}', labels: {'{{name}}': web}}
    spec:
      source: {repoUrl: https://git.example.com/web.git, path: 'envs/{{name}}', kind: Kustomize}
      destination: {clusters: ['{{name}}']}
      revisionHistoryLimit: '{{limit}}'
`,
			want: &pb.ApplicationSet{
				Name: "web", ApiVersion: APIVersion, Annotations: map[string]string{"owner": "web"},
				SpecJson: `{"generators":[{"clusters":{"selector":{"matchLabels":{"env":"prod"}}}},{"list":{"elements":[{"cluster":"in-cluster"}]}}],` +
					`"template":{"metadata":{"labels":{"{{name}}":"web"},"name":"web-{{name}}"},"spec":{"destination":{"clusters":["{{name}}"]},` +
					`"revisionHistoryLimit":"{{limit}}","source":{"kind":"Kustomize","path":"envs/{{name}}","repoUrl":"https://git.example.com/web.git"}}}}`,
			},
			warnings: []string{"spec.generators[1].requeueAfterSeconds: not supported, ignored (the set generates again on every new commit)"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := parseOne(t, tc.in)
			if o.Kind != KindApplicationSet || o.Name != tc.want.Name {
				t.Errorf("object %s %s", o.Kind, o.Name)
			}
			tc.want.Warnings = tc.warnings
			wantEqual(t, tc.want, o.AppSet)
			if !slices.Equal(o.Warnings, tc.warnings) {
				t.Errorf("warnings:\n got %q\nwant %q", o.Warnings, tc.warnings)
			}
		})
	}
}

func TestApplicationSetRefused(t *testing.T) {
	const set = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: s}
spec:
  generators:
  - list: {elements: [{a: b}]}
  template:
    metadata: {name: '{{a}}'}
    spec: {project: default}
`
	tests := map[string]struct {
		in   string
		want string
		is   error
	}{
		"no generators": {
			in:   strings.Replace(set, "  - list: {elements: [{a: b}]}\n", "", 1),
			want: "spec.generators: invalid: must be a non-empty list of generators",
			is:   ErrInvalid,
		},
		"no template": {
			in:   set[:strings.Index(set, "  template:")],
			want: "spec.template: required",
			is:   ErrRequired,
		},
		"template patch": {
			in:   set + "  templatePatch: |\n    spec: {}\n",
			want: "spec.templatePatch: not supported",
			is:   ErrNotSupported,
		},
		"scm provider": {
			in:   strings.Replace(set, "list: {elements: [{a: b}]}", "scmProvider: {github: {organization: o}}", 1),
			want: "spec.generators[0].scmProvider: not supported",
			is:   ErrNotSupported,
		},
		"nested pull request": {
			in:   strings.Replace(set, "list: {elements: [{a: b}]}", "merge: {mergeKeys: [a], generators: [{list: {}}, {pullRequest: {}}]}", 1),
			want: "spec.generators[0].merge.generators[1].pullRequest: not supported",
			is:   ErrNotSupported,
		},
		"two kinds": {
			in:   strings.Replace(set, "list: {elements: [{a: b}]}", "{list: {}, clusters: {}}", 1),
			want: "spec.generators[0]: invalid: must have exactly one of list, clusters, git, matrix, merge, not clusters and list",
			is:   ErrInvalid,
		},
		"no kind": {
			in:   strings.Replace(set, "list: {elements: [{a: b}]}", "selector: {matchLabels: {a: b}}", 1),
			want: "spec.generators[0]: invalid: must have exactly one of list, clusters, git, matrix, merge",
			is:   ErrInvalid,
		},
		"elementsYaml": {
			in:   strings.Replace(set, "list: {elements: [{a: b}]}", "list: {elementsYaml: '{{ .x }}'}", 1),
			want: "spec.generators[0].list.elementsYaml: not supported",
			is:   ErrNotSupported,
		},
		"matrix of three": {
			in:   strings.Replace(set, "list: {elements: [{a: b}]}", "matrix: {generators: [{list: {}}, {list: {}}, {list: {}}]}", 1),
			want: "spec.generators[0].matrix.generators: invalid: must be a list of exactly two generators",
			is:   ErrInvalid,
		},
		"unknown generator": {
			in:   strings.Replace(set, "list: {elements: [{a: b}]}", "lists: {}", 1),
			want: "spec.generators[0].lists: invalid: unknown generator (expected one of list, clusters, git, matrix, merge)",
			is:   ErrInvalid,
		},
		"applicationsSync": {
			in:   set + "  syncPolicy: {applicationsSync: create-upsert}\n",
			want: `spec.syncPolicy.applicationsSync: invalid: "create-upsert" is not one of create-only, create-update, create-delete, sync`,
			is:   ErrInvalid,
		},
		"applicationsSync not a string": {
			in:   set + "  syncPolicy: {applicationsSync: [sync]}\n",
			want: "spec.syncPolicy.applicationsSync: invalid: must be a string, not a list",
			is:   ErrInvalid,
		},
		"flotilla template field": {
			in: strings.Replace(strings.Replace(set, ArgoAPIVersion, APIVersion, 1),
				"spec: {project: default}", "spec: {project: default, source: {repoURL: '{{a}}'}}", 1),
			want: "spec.template.spec.source.repoURL: unknown field",
			is:   ErrUnknownField,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, errs := Parse("sets.yaml", []byte(tc.in))
			if len(errs) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
			}
			prefix := "sets.yaml: document 1 (ApplicationSet s): "
			if got := errs[0].Error(); got != prefix+tc.want {
				t.Errorf("error:\n got %s\nwant %s", got, prefix+tc.want)
			}
			if !errors.Is(errs[0], tc.is) {
				t.Errorf("%v is not %v", errs[0], tc.is)
			}
		})
	}
}
