package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// namespace is every application's destination namespace.
const namespace = "apps"

// app is one benchmark application: its name and what it renders.
type app struct {
	name string
	src  render.Source
}

// apps returns nKustomize overlays of one base and nHelm releases of one
// chart, each with its own values file, rendered as the hub renders them.
func apps(nKustomize, nHelm int) []app {
	out := make([]app, 0, nKustomize+nHelm)
	for i := range nKustomize {
		name := fmt.Sprintf("k%04d", i)
		out = append(out, app{name: name, src: render.Source{Path: "kustomize/" + name, Kind: render.Kustomize}})
	}
	for i := range nHelm {
		name := fmt.Sprintf("h%04d", i)
		out = append(out, app{name: name, src: render.Source{Path: "charts/web", Kind: render.Helm, Helm: render.HelmOptions{
			ReleaseName: name, Namespace: namespace, ValueFiles: []string{"/values/" + name + ".yaml"},
			KubeVersion: render.DefaultKubeVersion, IncludeCRDs: true}}})
	}
	return out
}

// proto returns the hub Application for a, automated, on cluster.
func (a app) proto(repo, cluster string) *pb.Application {
	src := &pb.ApplicationSource{RepoUrl: repo, Path: a.src.Path, Kind: pb.SourceKind_SOURCE_KIND_KUSTOMIZE}
	if a.src.Kind == render.Helm {
		src.Kind = pb.SourceKind_SOURCE_KIND_HELM
		src.Helm = &pb.HelmSource{ValueFiles: a.src.Helm.ValueFiles}
	}
	return &pb.Application{Name: a.name, Source: src, Destination: &pb.Destination{Clusters: []string{cluster}, Namespace: namespace},
		SyncPolicy: &pb.SyncPolicy{Automated: true}}
}

// repoFiles returns the repository: path → content.
func repoFiles(nKustomize, nHelm int) map[string]string {
	f := map[string]string{
		"README.md":                            "# render benchmark\n",
		"kustomize/base/kustomization.yaml":    "resources: [deployment.yaml, service.yaml, configmap.yaml]\n",
		"kustomize/base/deployment.yaml":       baseDeployment,
		"kustomize/base/service.yaml":          baseService,
		"kustomize/base/configmap.yaml":        baseConfigMap,
		"charts/web/Chart.yaml":                "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: \"1.0\"\n",
		"charts/web/values.yaml":               chartValues,
		"charts/web/templates/_helpers.tpl":    chartHelpers,
		"charts/web/templates/deployment.yaml": chartDeployment,
		"charts/web/templates/service.yaml":    chartService,
		"charts/web/templates/configmap.yaml":  chartConfigMap,
	}
	for i := range nKustomize {
		f[fmt.Sprintf("kustomize/k%04d/kustomization.yaml", i)] = fmt.Sprintf(overlay, i, i%20, i%10, i, i%5+1)
	}
	for i := range nHelm {
		f[fmt.Sprintf("values/h%04d.yaml", i)] = fmt.Sprintf(helmValues, i%5+1, i%10, i, i%20)
	}
	return f
}

// writeTree writes files under dir: the library's checkout on disk.
func writeTree(dir string, files map[string]string) error {
	for p, s := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const baseDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {component: api}}
  template:
    metadata: {labels: {component: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0
          ports: [{containerPort: 8080}]
          envFrom: [{configMapRef: {name: settings}}]
          resources: {requests: {cpu: 10m, memory: 32Mi}}
`

const baseService = `apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {component: api}
  ports: [{port: 80, targetPort: 8080}]
`

const baseConfigMap = `apiVersion: v1
kind: ConfigMap
metadata: {name: defaults}
data: {LOG_LEVEL: info, TIMEOUT: 30s}
`

// overlay: index, team, image tag, index, replicas.
const overlay = `namePrefix: k%04d-
labels: [{pairs: {team: t%d}, includeSelectors: true}]
resources: [../base]
images: [{name: example/api, newTag: "1.%d"}]
configMapGenerator: [{name: settings, literals: [INDEX=%d, MODE=bench]}]
patches:
  - target: {kind: Deployment, name: api}
    patch: |
      - op: replace
        path: /spec/replicas
        value: %d
`

const chartValues = `replicaCount: 1
image: {repository: example/web, tag: "1.0"}
service: {port: 80}
config: {}
`

// helmValues: replicas, tag, index, team.
const helmValues = `replicaCount: %d
image: {tag: "2.%d"}
config: {INDEX: "%d", TEAM: t%d, MODE: bench}
`

const chartHelpers = `{{- define "web.fullname" -}}{{ .Release.Name }}-web{{- end -}}
{{- define "web.labels" -}}
app.kubernetes.io/name: web
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
`

const chartDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels: {{- include "web.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app.kubernetes.io/instance: {{ .Release.Name }}}
  template:
    metadata:
      labels: {{- include "web.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ .Values.config | toYaml | sha256sum }}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports: [{containerPort: 8080}]
          envFrom: [{configMapRef: {name: {{ include "web.fullname" . }}}}]
`

const chartService = `apiVersion: v1
kind: Service
metadata:
  name: {{ include "web.fullname" . }}
  labels: {{- include "web.labels" . | nindent 4 }}
spec:
  selector: {app.kubernetes.io/instance: {{ .Release.Name }}}
  ports: [{port: {{ .Values.service.port }}, targetPort: 8080}]
`

const chartConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "web.fullname" . }}
  labels: {{- include "web.labels" . | nindent 4 }}
data:
{{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | quote }}
{{- end }}
`
