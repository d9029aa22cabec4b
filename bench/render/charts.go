package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/flotilla-gitops/flotilla/pkg/render"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// chartVersion is one chart version the Helm repository serves.
type chartVersion struct {
	name, version string
	pdb           bool // the later versions add a PodDisruptionBudget
}

// chartVersions are the charts the chart applications share: a handful
// of versions, so that renders differ (values per application) but pulls
// are few.
var chartVersions = []chartVersion{
	{"web", "1.0.0", false}, {"web", "1.1.0", true},
	{"api", "2.3.0", false}, {"api", "2.4.1", true},
	{"worker", "0.9.0", true},
}

// dir is where the chart version lies unpacked under the peer's directory.
func (v chartVersion) dir() string { return v.name + "-" + v.version }

// chartApp is one application of a chart of the Helm repository.
type chartApp struct {
	name   string
	chart  chartVersion
	values string // inline values, the application's own
}

// chartApps returns n applications, each of a chart version in turn with
// values of its own.
func chartApps(n int) []chartApp {
	out := make([]chartApp, n)
	for i := range out {
		out[i] = chartApp{name: fmt.Sprintf("c%04d", i), chart: chartVersions[i%len(chartVersions)],
			values: fmt.Sprintf(chartAppValues, i%5+1, i%10, i%4 == 0, i, i%3 == 0, i, i%20)}
	}
	return out
}

// proto returns the hub Application for a, automated, on cluster.
func (a chartApp) proto(repoURL, cluster string) *pb.Application {
	return &pb.Application{Name: a.name, Source: &pb.ApplicationSource{RepoUrl: repoURL, Chart: a.chart.name, TargetRevision: a.chart.version,
		Helm: &pb.HelmSource{Values: a.values}},
		Destination: &pb.Destination{Clusters: []string{cluster}, Namespace: namespace}, SyncPolicy: &pb.SyncPolicy{Automated: true}}
}

// source is what the hub renders for a from the unpacked chart (the
// hub's defaults: release name the application's, CRDs included).
func (a chartApp) source() render.Source {
	return render.Source{Path: ".", Kind: render.Helm, Helm: render.HelmOptions{ReleaseName: a.name, Namespace: namespace,
		Values: a.values, KubeVersion: render.DefaultKubeVersion, IncludeCRDs: true}}
}

// chartFiles returns a chart version's files: path → content.
func chartFiles(v chartVersion) map[string]string {
	f := map[string]string{
		"Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: %s\ndescription: The %s service of the render benchmark\ntype: application\nversion: %s\nappVersion: %q\n",
			v.name, v.name, v.version, v.version),
		"values.yaml":                     fmt.Sprintf(chartDefaults, v.name),
		".helmignore":                     ".git/\n*.swp\n",
		"templates/_helpers.tpl":          repoHelpers,
		"templates/deployment.yaml":       repoDeployment,
		"templates/service.yaml":          repoService,
		"templates/configmap.yaml":        repoConfigMap,
		"templates/serviceaccount.yaml":   repoServiceAccount,
		"templates/ingress.yaml":          repoIngress,
		"templates/hpa.yaml":              repoHPA,
		"templates/NOTES.txt":             "{{ include \"chart.fullname\" . }} is deployed ({{ .Chart.Name }} {{ .Chart.Version }}).\n",
		"templates/tests/connection.yaml": repoTest,
	}
	if v.pdb {
		f["templates/pdb.yaml"] = repoPDB
	}
	return f
}

// chartRepo is the Helm repository served over HTTP by this process, and
// the same charts unpacked for the library peer.
type chartRepo struct {
	url      string
	unpacked string // the library peer's: one directory per chart version
	srv      *httptest.Server
	pulls    atomic.Int64 // chart archives (.tgz) served
	indexes  atomic.Int64 // index.yaml served
}

// serveCharts packages every chart version into dir/repo with its
// index.yaml, serves it, and writes the charts unpacked under
// dir/unpacked.
func serveCharts(dir string) (*chartRepo, error) {
	r := &chartRepo{unpacked: filepath.Join(dir, "unpacked")}
	served := filepath.Join(dir, "repo")
	if err := os.MkdirAll(served, 0o755); err != nil {
		return nil, err
	}
	for _, v := range chartVersions {
		src := filepath.Join(r.unpacked, v.dir())
		if err := writeTree(src, chartFiles(v)); err != nil {
			return nil, err
		}
		ch, err := loader.LoadDir(src)
		if err != nil {
			return nil, fmt.Errorf("chart %s %s: %w", v.name, v.version, err)
		}
		if _, err := chartutil.Save(ch, served); err != nil {
			return nil, fmt.Errorf("chart %s %s: package: %w", v.name, v.version, err)
		}
	}
	files := http.FileServer(http.Dir(served))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case strings.HasSuffix(req.URL.Path, ".tgz"):
			r.pulls.Add(1)
		case strings.HasSuffix(req.URL.Path, "/index.yaml"):
			r.indexes.Add(1)
		}
		files.ServeHTTP(w, req)
	}))
	r.url = r.srv.URL
	idx, err := repo.IndexDirectory(served, r.url)
	if err != nil {
		r.srv.Close()
		return nil, err
	}
	if err := idx.WriteFile(filepath.Join(served, "index.yaml"), 0o644); err != nil {
		r.srv.Close()
		return nil, err
	}
	return r, nil
}

// read returns the archives and indexes served so far.
func (r *chartRepo) read() (pulls, indexes int64) { return r.pulls.Load(), r.indexes.Load() }

// chartDefaults: the chart's name (image).
const chartDefaults = `replicaCount: 1
image:
  repository: example/%s
  tag: ""
  pullPolicy: IfNotPresent
serviceAccount:
  create: true
  annotations: {}
podAnnotations: {}
service:
  type: ClusterIP
  port: 80
ingress:
  enabled: false
  className: nginx
  host: chart.example.com
autoscaling:
  enabled: false
  minReplicas: 1
  maxReplicas: 5
  targetCPU: 80
resources:
  requests: {cpu: 10m, memory: 32Mi}
  limits: {memory: 128Mi}
config:
  LOG_LEVEL: info
`

// chartAppValues: replicas, image tag, ingress, index, autoscaling,
// index, team.
const chartAppValues = `replicaCount: %d
image: {tag: "2.%d"}
ingress: {enabled: %t, host: c%04d.example.com}
autoscaling: {enabled: %t}
config: {INDEX: "%d", TEAM: t%d, MODE: bench}
`

const repoHelpers = `{{- define "chart.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "chart.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "chart.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "chart.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
`

const repoDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
  labels: {{- include "chart.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  selector:
    matchLabels: {{- include "chart.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      annotations:
        checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
        {{- with .Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      labels: {{- include "chart.selectorLabels" . | nindent 8 }}
    spec:
      serviceAccountName: {{ include "chart.fullname" . }}
      securityContext: {runAsNonRoot: true, runAsUser: 1000}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
          envFrom:
            - configMapRef: {name: {{ include "chart.fullname" . }}}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
          readinessProbe:
            httpGet: {path: /ready, port: http}
          resources: {{- toYaml .Values.resources | nindent 12 }}
`

const repoService = `apiVersion: v1
kind: Service
metadata:
  name: {{ include "chart.fullname" . }}
  labels: {{- include "chart.labels" . | nindent 4 }}
spec:
  type: {{ .Values.service.type }}
  selector: {{- include "chart.selectorLabels" . | nindent 4 }}
  ports:
    - {name: http, port: {{ .Values.service.port }}, targetPort: http, protocol: TCP}
`

const repoConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "chart.fullname" . }}
  labels: {{- include "chart.labels" . | nindent 4 }}
data:
{{- range $k, $v := .Values.config }}
  {{ $k }}: {{ $v | quote }}
{{- end }}
`

const repoServiceAccount = `{{- if .Values.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "chart.fullname" . }}
  labels: {{- include "chart.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations: {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
`

const repoIngress = `{{- if .Values.ingress.enabled -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "chart.fullname" . }}
  labels: {{- include "chart.labels" . | nindent 4 }}
spec:
  ingressClassName: {{ .Values.ingress.className }}
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ include "chart.fullname" . }}
                port: {number: {{ .Values.service.port }}}
{{- end }}
`

const repoHPA = `{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "chart.fullname" . }}
  labels: {{- include "chart.labels" . | nindent 4 }}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: {{ include "chart.fullname" . }}}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: {{ .Values.autoscaling.targetCPU }}}}
{{- end }}
`

const repoPDB = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "chart.fullname" . }}
  labels: {{- include "chart.labels" . | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {{- include "chart.selectorLabels" . | nindent 6 }}
`

const repoTest = `apiVersion: v1
kind: Pod
metadata:
  name: {{ include "chart.fullname" . }}-test
  annotations: {"helm.sh/hook": test}
spec:
  restartPolicy: Never
  containers:
    - name: wget
      image: busybox
      command: [wget, '{{ include "chart.fullname" . }}:{{ .Values.service.port }}']
`
