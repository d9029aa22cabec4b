package appset

import (
	"reflect"
	"testing"
)

func TestGenerate(t *testing.T) {
	tests := map[string]struct {
		spec     string
		clusters []Cluster
		field    string            // a dotted path in each generated Doc
		want     map[string]string // app name -> value of field
		repos    []string
	}{
		"list fasttemplate": {
			spec: `
generators:
- list:
    elements:
    - {cluster: engineering-dev, url: 'https://1.2.3.4', values: {ns: dev}}
    - {cluster: engineering-prod, url: 'https://2.4.6.8', values: {ns: prod}, replicas: 3}
template:
  metadata: {name: '{{cluster}}-guestbook'}
  spec:
    source: {path: 'guestbook/{{ cluster }}/{{unknown}}'}
    destination: {server: '{{url}}', namespace: '{{values.ns}}'}`,
			field: "spec.source.path",
			want: map[string]string{
				"engineering-dev-guestbook":  "guestbook/engineering-dev/{{unknown}}",
				"engineering-prod-guestbook": "guestbook/engineering-prod/{{unknown}}",
			},
		},
		"list fasttemplate numbers and nested keys": {
			spec: `
generators:
- list: {elements: [{name: a, num: 3, deep: {er: x}}]}
template:
  metadata: {name: '{{name}}-{{num}}-{{deep.er}}'}
  spec: {}`,
			field: "metadata.name",
			want:  map[string]string{"a-3-x": "a-3-x"},
		},
		"list goTemplate with sprig": {
			spec: `
goTemplate: true
goTemplateOptions: [missingkey=error]
generators:
- list:
    elements:
    - {cluster: Dev, values: {ns: team-a}}
    - {cluster: Prod, values: {ns: team-b}}
template:
  metadata:
    name: '{{ .cluster | lower }}-app'
    labels: {'team-{{.values.ns}}': 'yes'}
  spec:
    destination: {namespace: '{{ .values.ns | upper }}'}`,
			field: "spec.destination.namespace",
			want:  map[string]string{"dev-app": "TEAM-A", "prod-app": "TEAM-B"},
		},
		"clusters selector and values": {
			spec: `
generators:
- clusters:
    selector:
      matchLabels: {env: prod}
      matchExpressions: [{key: region, operator: In, values: [eu, us]}]
    values: {revision: '{{metadata.labels.region}}-stable', owner: '{{metadata.annotations.owner}}'}
template:
  metadata: {name: '{{nameNormalized}}'}
  spec:
    source: {targetRevision: '{{values.revision}}/{{values.owner}}'}
    destination: {server: '{{server}}'}`,
			clusters: threeClusters,
			field:    "spec.source.targetRevision",
			want: map[string]string{
				"prod-eu": "eu-stable/team-eu",
				"prod-us": "us-stable/{{metadata.annotations.owner}}",
			},
		},
		"clusters goTemplate": {
			spec: `
goTemplate: true
generators:
- clusters:
    selector: {matchExpressions: [{key: env, operator: NotIn, values: [prod]}]}
    values: {branch: '{{ index .metadata.labels "env" }}-branch'}
template:
  metadata: {name: 'app-{{.nameNormalized}}'}
  spec: {source: {targetRevision: '{{.values.branch}}'}, destination: {server: '{{.server}}'}}`,
			clusters: threeClusters,
			field:    "spec.source.targetRevision",
			want:     map[string]string{"app-staging": "staging-branch"},
		},
		"clusters without selector": {
			spec: `
generators: [{clusters: {}}]
template: {metadata: {name: '{{nameNormalized}}'}, spec: {}}`,
			clusters: threeClusters,
			field:    "metadata.name",
			want:     map[string]string{"prod-eu": "prod-eu", "prod-us": "prod-us", "staging": "staging"},
		},
		"git directories with exclude": {
			spec: `
generators:
- git:
    repoURL: ` + repoURL + `
    revision: main
    directories:
    - path: apps/*
    - path: apps/legacy
      exclude: true
template:
  metadata: {name: '{{path.basename}}'}
  spec: {source: {path: '{{path}} {{path[0]}} {{path.basenameNormalized}}'}}`,
			field: "spec.source.path",
			want: map[string]string{
				"guestbook":      "apps/guestbook apps guestbook",
				"helm-guestbook": "apps/helm-guestbook apps helm-guestbook",
			},
			repos: []string{repoURL},
		},
		"git directories doublestar and goTemplate prefix": {
			spec: `
goTemplate: true
generators:
- git:
    repoURL: ` + repoURL + `
    pathParamPrefix: app
    directories: [{path: 'apps/**/base'}]
template:
  metadata: {name: '{{ index .app.path.segments 1 }}-{{.app.path.basename}}'}
  spec: {source: {path: '{{.app.path.path}}'}}`,
			field: "spec.source.path",
			want:  map[string]string{"guestbook-base": "apps/guestbook/base"},
			repos: []string{repoURL},
		},
		"git files JSON and YAML list": {
			spec: `
generators:
- git:
    repoURL: ` + repoURL + `
    files: [{path: 'clusters/eu/*.json'}, {path: 'clusters/us/*.yaml'}]
    values: {where: '{{path.basename}}'}
template:
  metadata: {name: '{{cluster.name}}'}
  spec: {destination: {server: '{{cluster.address}}'}, source: {path: '{{path}}|{{path.filename}}|{{values.where}}|{{replicas}}'}}`,
			field: "spec.source.path",
			want: map[string]string{
				"eu":      "clusters/eu|config.json|eu|3",
				"us-east": "clusters/us|config.yaml|us|{{replicas}}",
				"us-west": "clusters/us|config.yaml|us|{{replicas}}",
			},
			repos: []string{repoURL},
		},
		"git files exclude and goTemplate": {
			spec: `
goTemplate: true
generators:
- git:
    repoURL: ` + repoURL + `
    files: [{path: 'clusters/*/config.*'}, {path: 'clusters/bad/*', exclude: true}, {path: 'clusters/empty/*', exclude: true}]
template:
  metadata: {name: '{{.cluster.name}}'}
  spec: {source: {path: '{{.path.path}}/{{.path.filenameNormalized}}'}}`,
			field: "spec.source.path",
			want: map[string]string{
				"eu":      "clusters/eu/config.json",
				"us-east": "clusters/us/config.yaml",
				"us-west": "clusters/us/config.yaml",
			},
			repos: []string{repoURL},
		},
		"matrix git x clusters": {
			spec: `
generators:
- matrix:
    generators:
    - git: {repoURL: ` + repoURL + `, directories: [{path: 'apps/*'}, {path: apps/legacy, exclude: true}]}
    - clusters: {selector: {matchLabels: {env: prod}}}
template:
  metadata: {name: '{{path.basename}}-{{nameNormalized}}'}
  spec: {source: {path: '{{path}}'}, destination: {server: '{{server}}'}}`,
			clusters: threeClusters,
			field:    "spec.destination.server",
			want: map[string]string{
				"guestbook-prod-eu":      "https://prod-eu",
				"guestbook-prod-us":      "https://prod-us",
				"helm-guestbook-prod-eu": "https://prod-eu",
				"helm-guestbook-prod-us": "https://prod-us",
			},
			repos: []string{repoURL},
		},
		"matrix second child uses the first's params": {
			spec: `
goTemplate: true
generators:
- matrix:
    generators:
    - list: {elements: [{repo: '` + repoURL + `', dir: clusters, env: eu}]}
    - git: {repoURL: '{{.repo}}', files: [{path: '{{.dir}}/{{.env}}/*.json'}]}
template:
  metadata: {name: '{{.env}}-{{.cluster.name}}'}
  spec: {source: {path: '{{.path.path}}'}}`,
			field: "spec.source.path",
			want:  map[string]string{"eu-eu": "clusters/eu"},
			repos: []string{repoURL},
		},
		"nested matrix": {
			spec: `
generators:
- matrix:
    generators:
    - matrix:
        generators:
        - list: {elements: [{a: x}, {a: w}]}
        - list: {elements: [{b: '1'}]}
    - list: {elements: [{c: '{{a}}z'}]}
template: {metadata: {name: '{{a}}-{{b}}-{{c}}'}, spec: {}}`,
			field: "metadata.name",
			want:  map[string]string{"x-1-xz": "x-1-xz", "w-1-wz": "w-1-wz"},
		},
		"merge with mergeKeys": {
			spec: `
generators:
- merge:
    mergeKeys: [server]
    generators:
    - clusters: {values: {kafka: 'true', redis: 'false'}}
    - clusters: {selector: {matchLabels: {region: us}}, values: {kafka: 'false'}}
    - list: {elements: [{server: 'https://staging', values.redis: 'true'}, {server: 'https://nowhere', values.redis: 'x'}]}
template:
  metadata: {name: '{{nameNormalized}}'}
  spec: {source: {path: 'kafka={{values.kafka}},redis={{values.redis}}'}}`,
			clusters: threeClusters,
			field:    "spec.source.path",
			want: map[string]string{
				"prod-eu": "kafka=true,redis=false",
				"prod-us": "kafka=false,redis=false",
				"staging": "kafka=true,redis=true",
			},
		},
		"merge goTemplate nested values": {
			spec: `
goTemplate: true
generators:
- merge:
    mergeKeys: [name]
    generators:
    - clusters: {values: {tier: base, extra: keep}}
    - list: {elements: [{name: staging, values: {tier: over}}]}
template:
  metadata: {name: '{{.nameNormalized}}'}
  spec: {source: {path: '{{.values.tier}}-{{.values.extra}}'}}`,
			clusters: threeClusters,
			field:    "spec.source.path",
			want:     map[string]string{"prod-eu": "base-keep", "prod-us": "base-keep", "staging": "over-keep"},
		},
		"per-generator selector and template": {
			spec: `
generators:
- list:
    elements: [{name: a, tier: web}, {name: b, tier: db}, {name: c, tier: web}]
    template: {spec: {source: {path: 'override/{{name}}'}}}
  selector: {matchLabels: {tier: web}}
- list: {elements: [{name: d, tier: db}]}
template:
  metadata: {name: '{{name}}'}
  spec: {source: {path: 'default/{{name}}', repoURL: r}}`,
			field: "spec.source.path",
			want:  map[string]string{"a": "override/a", "c": "override/c", "d": "default/d"},
		},
		"selector on cluster labels and fasttemplate prefix": {
			spec: `
generators:
- clusters: {template: {metadata: {name: '{{name}}'}}}
  selector: {matchLabels: {metadata.labels.region: eu}}
- git: {repoURL: ` + repoURL + `, pathParamPrefix: p, directories: [{path: 'apps/helm-*'}], template: {metadata: {name: '{{p.path.basename}}'}}}
template:
  metadata: {name: 'overridden'}
  spec: {source: {path: '{{p.path}}|{{p.path[1]}}'}}`,
			clusters: threeClusters,
			field:    "spec.source.path",
			want: map[string]string{
				"prod-eu":        "{{p.path}}|{{p.path[1]}}",
				"helm-guestbook": "apps/helm-guestbook|helm-guestbook",
			},
			repos: []string{repoURL},
		},
		"no generators": {
			spec:  `{generators: [], template: {metadata: {name: x}}}`,
			field: "metadata.name",
			want:  map[string]string{},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res, err := Generate(specOf(t, tc.spec), Inputs{Clusters: tc.clusters, Git: &memGit{files: repoFiles}})
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			got := map[string]string{}
			var names []string
			for _, a := range res.Apps {
				v, _ := field(a.Doc, tc.field).(string)
				got[a.Name] = v
				names = append(names, a.Name)
				if field(a.Doc, "metadata.name") != a.Name {
					t.Errorf("%s: Doc metadata.name is %v", a.Name, field(a.Doc, "metadata.name"))
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("apps:\n got %v\nwant %v", got, tc.want)
			}
			if !sortedStrings(names) {
				t.Errorf("apps not sorted by name: %v", names)
			}
			if !reflect.DeepEqual(res.Repos, tc.repos) {
				t.Errorf("repos: got %v, want %v", res.Repos, tc.repos)
			}
		})
	}
}

// The Git generator reads the revision it names, HEAD by default.
func TestGitRevision(t *testing.T) {
	g := &memGit{files: repoFiles}
	_, err := Generate(specOf(t, `
generators:
- git: {repoURL: `+repoURL+`, directories: [{path: 'apps/*'}]}
- git: {repoURL: `+repoURL+`, revision: v1.2.0, files: [{path: 'clusters/eu/*'}], template: {metadata: {name: '{{path.filenameNormalized}}'}}}
template: {metadata: {name: '{{path.basename}}'}}`), Inputs{Git: g})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{repoURL + "@HEAD", repoURL + "@v1.2.0"}; !reflect.DeepEqual(g.reads, want) {
		t.Fatalf("reads: got %v, want %v", g.reads, want)
	}
}

func sortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] > s[i] {
			return false
		}
	}
	return true
}

// A label change on a cluster changes what the clusters generator produces.
func TestClustersFollowLabels(t *testing.T) {
	spec := specOf(t, `
generators: [{clusters: {selector: {matchLabels: {env: prod}}}}]
template: {metadata: {name: '{{nameNormalized}}'}, spec: {}}`)
	names := func(cl []Cluster) []string {
		res, err := Generate(spec, Inputs{Clusters: cl})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range res.Apps {
			out = append(out, a.Name)
		}
		return out
	}
	if got, want := names(threeClusters), []string{"prod-eu", "prod-us"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("before: got %v, want %v", got, want)
	}
	moved := append([]Cluster(nil), threeClusters...)
	moved[0] = Cluster{Name: "staging", Server: "https://staging", Labels: map[string]string{"env": "prod"}}
	moved[1] = Cluster{Name: "prod-eu", Server: "https://prod-eu", Labels: map[string]string{"env": "retired"}}
	if got, want := names(moved), []string{"prod-us", "staging"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after: got %v, want %v", got, want)
	}
}

// Params carry what a Doc was rendered from, and the Doc keeps the whole template.
func TestGeneratedDocAndParams(t *testing.T) {
	res, err := Generate(specOf(t, `
generators: [{list: {elements: [{env: dev}]}}]
template:
  metadata:
    name: 'app-{{env}}'
    namespace: argocd
    finalizers: [resources-finalizer.argocd.argoproj.io]
    annotations: {'notify.example/{{env}}': '{{env}}-channel'}
  spec: {project: default, source: {helm: {valueFiles: ['values-{{env}}.yaml'], replicas: 2}}}`), Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"metadata": map[string]any{
			"name": "app-dev", "namespace": "argocd",
			"finalizers":  []any{"resources-finalizer.argocd.argoproj.io"},
			"annotations": map[string]any{"notify.example/dev": "dev-channel"},
		},
		"spec": map[string]any{"project": "default", "source": map[string]any{
			"helm": map[string]any{"valueFiles": []any{"values-dev.yaml"}, "replicas": float64(2)}}},
	}
	if len(res.Apps) != 1 || !reflect.DeepEqual(res.Apps[0].Doc, want) {
		t.Fatalf("doc:\n got %#v\nwant %#v", res.Apps, want)
	}
	if !reflect.DeepEqual(res.Apps[0].Params, map[string]any{"env": "dev"}) {
		t.Errorf("params: %v", res.Apps[0].Params)
	}
}
