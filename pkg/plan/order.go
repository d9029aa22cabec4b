package plan

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kindOrder is Helm's install order (Argo CD uses it too). Kinds not listed
// sort after all of these.
var kindOrder = []string{
	"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap",
	"StorageClass", "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition",
	"ClusterRole", "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList",
	"Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
	"ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
	"StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

var kindRank = func() map[string]int {
	m := make(map[string]int, len(kindOrder))
	for i, k := range kindOrder {
		m[k] = i - len(kindOrder) // known kinds are negative; unknown kinds are 0
	}
	return m
}()

// task is an action being ordered, with its sort keys read once.
type task struct {
	Action
	phase Phase
	wave  int
	obj   *unstructured.Unstructured
	rank  int    // kindRank of the kind
	group string // API group
}

// less is the one ordering comparator: phase, wave, kind order, name.
// then namespace and group so the order is total.
func less(a, b *task) bool {
	if d := phaseOrder[a.phase] - phaseOrder[b.phase]; d != 0 {
		return d < 0
	}
	if a.wave != b.wave {
		return a.wave < b.wave
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	// Beyond Argo CD's comparator, for a total order: namespace, group.
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.group < b.group
}

// pullForward moves each dependency (a Namespace, a CRD) just before the
// first task that needs it when that task sorts earlier, giving it that
// task's phase and wave. Prunes take no part.
func pullForward(tasks []*task, isDep, dependsOn func(*unstructured.Unstructured) (string, bool)) {
	first := map[string]int{}
	for i, t := range tasks {
		if t.Action.Action == Prune {
			continue
		}
		if key, ok := isDep(t.obj); ok {
			if at, ok := first[key]; ok {
				t.phase, t.wave = tasks[at].phase, tasks[at].wave
				copy(tasks[at+1:i+1], tasks[at:i])
				tasks[at] = t
				for k, v := range first {
					if v >= at {
						first[k] = v + 1
					}
				}
			}
		} else if key, ok := dependsOn(t.obj); ok {
			if _, seen := first[key]; !seen {
				first[key] = i
			}
		}
	}
}

func isNamespace(u *unstructured.Unstructured) (string, bool) {
	gvk := u.GroupVersionKind()
	return u.GetName(), gvk.Group == "" && gvk.Kind == "Namespace"
}

func inNamespace(u *unstructured.Unstructured) (string, bool) {
	return u.GetNamespace(), u.GetNamespace() != ""
}

func isCRD(u *unstructured.Unstructured) (string, bool) {
	gvk := u.GroupVersionKind()
	if gvk.Group != "apiextensions.k8s.io" || gvk.Kind != "CustomResourceDefinition" {
		return "", false
	}
	group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
	return group + "/" + kind, true
}

func groupKind(u *unstructured.Unstructured) (string, bool) {
	gvk := u.GroupVersionKind()
	return gvk.Group + "/" + gvk.Kind, true
}
