package health

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Status is the health of one object.
type Status string

// The statuses, as Argo CD names them.
const (
	Healthy     Status = "Healthy"
	Progressing Status = "Progressing"
	Degraded    Status = "Degraded"
	Suspended   Status = "Suspended"
	Missing     Status = "Missing"
	Unknown     Status = "Unknown"
)

// Result is a health status with an optional human-readable explanation.
type Result struct {
	Status  Status `json:"status"`
	Message string `json:"message,omitempty"`
}

// severity lists the statuses from least to most severe, as Argo CD's
// health.IsWorse orders them.
var severity = []Status{Healthy, Suspended, Progressing, Missing, Degraded, Unknown}

// rank is the index of s in severity; like Argo CD, a status it does not
// know ranks with Healthy.
func rank(s Status) int {
	if i := slices.Index(severity, s); i >= 0 {
		return i
	}
	return 0
}

// Worst returns the most severe of the statuses, in Argo CD's order:
// Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
// With no statuses it returns Healthy.
func Worst(statuses ...Status) Status {
	worst := Healthy
	for _, s := range statuses {
		if rank(s) > rank(worst) {
			worst = s
		}
	}
	return worst
}

// Argo CD annotations and finalizer that change how health is assessed.
const (
	hookFinalizer           = "argocd.argoproj.io/hook-finalizer"
	annotationHook          = "argocd.argoproj.io/hook"
	annotationHelmHook      = "helm.sh/hook"
	annotationIgnoreRestart = "argocd.argoproj.io/ignore-restart-policy"
)

// Compute returns the health of live; live == nil means Missing.
//
// An object that cannot be read as its kind (a field of the wrong type, an
// API version Argo CD does not assess) gives Unknown together with an error
// naming the object.
func Compute(live *unstructured.Unstructured) (Result, error) {
	if live == nil {
		return Result{Status: Missing}, nil
	}
	if live.GetDeletionTimestamp() != nil && !slices.Contains(live.GetFinalizers(), hookFinalizer) {
		return Result{Status: Progressing, Message: "Pending deletion"}, nil
	}
	check, ok := checks[live.GroupVersionKind().GroupKind()]
	if !ok {
		check = genericHealth
	}
	res, err := check(live)
	if err != nil {
		return Result{Status: Unknown, Message: err.Error()}, err
	}
	return res, nil
}

type checkFunc func(*unstructured.Unstructured) (Result, error)

// checks holds the kinds with an Argo CD check, by group and kind. Each
// check verifies the version itself.
var checks = map[schema.GroupKind]checkFunc{
	{Group: "apps", Kind: "Deployment"}:                               deploymentHealth,
	{Group: "apps", Kind: "StatefulSet"}:                              statefulSetHealth,
	{Group: "apps", Kind: "DaemonSet"}:                                daemonSetHealth,
	{Group: "apps", Kind: "ReplicaSet"}:                               replicaSetHealth,
	{Group: "", Kind: "Pod"}:                                          podHealth,
	{Group: "", Kind: "Service"}:                                      serviceHealth,
	{Group: "", Kind: "PersistentVolumeClaim"}:                        pvcHealth,
	{Group: "batch", Kind: "Job"}:                                     jobHealth,
	{Group: "batch", Kind: "CronJob"}:                                 cronJobHealth,
	{Group: "networking.k8s.io", Kind: "Ingress"}:                     ingressHealth,
	{Group: "extensions", Kind: "Ingress"}:                            ingressHealth,
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:           hpaHealth,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:             apiServiceHealth,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: crdHealth,
	{Group: "policy", Kind: "PodDisruptionBudget"}:                    pdbHealth,
	{Group: "argoproj.io", Kind: "Workflow"}:                          workflowHealth,
}

// objectError wraps err with the kind, namespace and name of obj.
func objectError(obj *unstructured.Unstructured, err error) error {
	ref := obj.GetName()
	if ns := obj.GetNamespace(); ns != "" {
		ref = ns + "/" + ref
	}
	return fmt.Errorf("health of %s %s: %w", obj.GetKind(), ref, err)
}

// toTyped converts obj into the typed struct into, accepting only the given
// API versions of obj's group.
func toTyped(obj *unstructured.Unstructured, into any, versions ...string) error {
	gvk := obj.GroupVersionKind()
	if !slices.Contains(versions, gvk.Version) {
		return objectError(obj, fmt.Errorf("unsupported apiVersion %q for %s", obj.GetAPIVersion(), gvk.Kind))
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into); err != nil {
		return objectError(obj, fmt.Errorf("converting to %s: %w", gvk.Kind, err))
	}
	return nil
}
