package suite

import (
	"maps"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

// Annotations the scenarios use (Argo CD's).
const (
	annHook        = "argocd.argoproj.io/hook"
	annWave        = "argocd.argoproj.io/sync-wave"
	annSyncOptions = "argocd.argoproj.io/sync-options"
)

func hook(phase string) map[string]string { return map[string]string{annHook: phase} }

func wave(n int) map[string]string { return map[string]string{annWave: strconv.Itoa(n)} }

// docs joins manifests into one multi-document YAML file.
func docs(manifests ...string) string { return strings.Join(manifests, "---\n") }

func toYAML(obj map[string]any) string {
	b, err := yaml.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func metadata(name string, ann map[string]string) map[string]any {
	m := map[string]any{"name": name}
	if len(ann) > 0 {
		m["annotations"] = maps.Clone(ann)
	}
	return m
}

func configMapYAML(name string, data, ann map[string]string) string {
	return toYAML(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(name, ann), "data": data})
}

// jobOpts shape a Job manifest.
type jobOpts struct {
	fail    bool // the pod fails (localcluster.FailLabel): the Job is Failed in ~2s
	suspend bool // created suspended: it finishes only once resumed
}

func podTemplate(name string, fail bool, restart string) map[string]any {
	labels := map[string]any{"app": name}
	if fail {
		labels[localcluster.FailLabel] = "true"
	}
	return map[string]any{
		"metadata": map[string]any{"labels": labels},
		"spec": map[string]any{
			"restartPolicy": restart,
			"containers":    []any{map[string]any{"name": "main", "image": "example.invalid/" + name + ":1"}},
		},
	}
}

func jobYAML(name string, ann map[string]string, o jobOpts) string {
	spec := map[string]any{"backoffLimit": 0, "template": podTemplate(name, o.fail, "Never")}
	if o.suspend {
		spec["suspend"] = true
	}
	return toYAML(map[string]any{"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata(name, ann), "spec": spec})
}

func deploymentYAML(name string, replicas int, ann map[string]string) string {
	return toYAML(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(name, ann),
		"spec": map[string]any{
			"replicas": replicas,
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": podTemplate(name, false, "Always"),
		}})
}
