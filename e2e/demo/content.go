// Package demo is Flotilla's one-command demo: two local clusters, a Git
// server with example applications, the hub, one spoke per cluster, and
// applications that deploy to both. `make run` starts it.
package demo

// Files of the demo repository (path → content).
var Files = map[string]string{
	"README.md": "Flotilla demo applications. Edit, commit and push: the hub deploys.\n",

	// guestbook: plain YAML with sync waves and hooks, as Argo CD users write them.
	"guestbook/config.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: guestbook-config
  annotations:
    argocd.argoproj.io/sync-wave: "-1"
data:
  GREETING: "Hello from Flotilla"
`,
	"guestbook/migrate.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: db-migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox:1.36
          command: ["sh", "-c", "echo migrating"]
`,
	"guestbook/frontend.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  replicas: 2
  selector:
    matchLabels: {app: guestbook, tier: frontend}
  template:
    metadata:
      labels: {app: guestbook, tier: frontend}
    spec:
      containers:
        - name: php-redis
          image: gcr.io/google-samples/gb-frontend:v5
          envFrom:
            - configMapRef: {name: guestbook-config}
          ports:
            - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: frontend
spec:
  selector: {app: guestbook, tier: frontend}
  ports:
    - port: 80
`,
	"guestbook/redis.yaml": `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: redis
  annotations:
    argocd.argoproj.io/sync-wave: "-1"
spec:
  serviceName: redis
  replicas: 1
  selector:
    matchLabels: {app: guestbook, tier: redis}
  template:
    metadata:
      labels: {app: guestbook, tier: redis}
    spec:
      containers:
        - name: redis
          image: redis:7
`,
	"guestbook/smoke-test.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  generateName: smoke-test-
  annotations:
    argocd.argoproj.io/hook: PostSync
    argocd.argoproj.io/hook-delete-policy: HookSucceeded
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: curl
          image: curlimages/curl:8.10.1
          command: ["curl", "-fsS", "http://frontend"]
`,

	// podinfo: a Helm chart with per-cluster values ({{cluster.name}}).
	"podinfo/Chart.yaml": `apiVersion: v2
name: podinfo
version: 0.1.0
appVersion: "6.7.0"
`,
	"podinfo/values.yaml": `replicas: 1
message: "default"
`,
	"podinfo/values-c1.yaml": "replicas: 2\nmessage: \"east\"\n",
	"podinfo/values-c2.yaml": "replicas: 3\nmessage: \"west\"\n",
	"podinfo/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: podinfo}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: podinfo}
  template:
    metadata:
      labels: {app: podinfo}
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:{{ .Chart.AppVersion }}
          env:
            - name: PODINFO_UI_MESSAGE
              value: {{ .Values.message | quote }}
`,
	"podinfo/templates/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {app: podinfo}
  ports:
    - port: 9898
`,
}

// ConfigPath is the directory of the demo repository that declares its
// applications; the hub reads it (flotilla-hub --config-repo --config-path).
const ConfigPath = "flotilla"

// ConfigFiles are the declarations of the demo's applications, for the
// repository at url: edit them, commit and push, and the hub follows.
func ConfigFiles(url string) map[string]string {
	return map[string]string{
		ConfigPath + "/guestbook.yaml": `# An Argo CD Application, unchanged, would do as well; Flotilla's own
# kind selects clusters by label.
apiVersion: flotilla.dev/v1alpha1
kind: Application
metadata:
  name: guestbook
spec:
  source:
    repoUrl: ` + url + `
    targetRevision: main
    path: guestbook
  destination:
    clusterSelector: {env: demo}
    namespace: guestbook
  syncPolicy:
    automated: true
    prune: true
    selfHeal: true
    options: {CreateNamespace: "true"}
    retry: {limit: 3}
`,
		ConfigPath + "/podinfo.yaml": `apiVersion: flotilla.dev/v1alpha1
kind: Application
metadata:
  name: podinfo
spec:
  source:
    repoUrl: ` + url + `
    targetRevision: main
    path: podinfo
    helm:
      valueFiles: ["values-{{cluster.name}}.yaml"]
  destination:
    clusterSelector: {env: demo}
    namespace: podinfo
  syncPolicy:
    automated: true
    prune: true
    selfHeal: true
    options: {CreateNamespace: "true"}
    retry: {limit: 3}
`,
	}
}
