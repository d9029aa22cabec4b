package plan

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// ScopeFunc says whether objects of a group/kind are namespaced, and
// whether it knows. Spokes pass discovery; offline, builtin knowledge, the
// CRDs being applied and the live objects are used.
type ScopeFunc func(schema.GroupKind) (namespaced, known bool)

// clusterScoped lists the cluster-scoped kinds of Kubernetes itself.
var clusterScoped = map[schema.GroupKind]bool{
	{Kind: "Namespace"}: true, {Kind: "Node"}: true, {Kind: "PersistentVolume"}: true,
	{Kind: "ComponentStatus"}:                                                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                         true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                  true,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:                 true,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:                             true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                   true,
	{Group: "storage.k8s.io", Kind: "CSIDriver"}:                                      true,
	{Group: "storage.k8s.io", Kind: "CSINode"}:                                        true,
	{Group: "storage.k8s.io", Kind: "VolumeAttachment"}:                               true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                               true,
	{Group: "node.k8s.io", Kind: "RuntimeClass"}:                                      true,
	{Group: "networking.k8s.io", Kind: "IngressClass"}:                                true,
	{Group: "networking.k8s.io", Kind: "IPAddress"}:                                   true,
	{Group: "networking.k8s.io", Kind: "ServiceCIDR"}:                                 true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}:   true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:     true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicy"}:        true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingAdmissionPolicyBinding"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicy"}:          true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingAdmissionPolicyBinding"}:   true,
	{Group: "certificates.k8s.io", Kind: "CertificateSigningRequest"}:                 true,
	{Group: "certificates.k8s.io", Kind: "ClusterTrustBundle"}:                        true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "FlowSchema"}:                       true,
	{Group: "flowcontrol.apiserver.k8s.io", Kind: "PriorityLevelConfiguration"}:       true,
	{Group: "resource.k8s.io", Kind: "DeviceClass"}:                                   true,
	{Group: "resource.k8s.io", Kind: "ResourceSlice"}:                                 true,
}

// builtinScope knows Kubernetes' own kinds, the CRDs among objs and the
// scope shown by live objects; then asks next (may be nil).
func builtinScope(objs, live []*unstructured.Unstructured, next ScopeFunc) ScopeFunc {
	crds := map[schema.GroupKind]bool{}
	for _, u := range objs {
		if _, ok := isCRD(u); ok {
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
			scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
			crds[schema.GroupKind{Group: group, Kind: kind}] = scope != "Cluster"
		}
	}
	seen := map[schema.GroupKind]bool{}
	for _, u := range live {
		seen[u.GroupVersionKind().GroupKind()] = u.GetNamespace() != ""
	}
	return func(gk schema.GroupKind) (bool, bool) {
		if next != nil {
			if ns, known := next(gk); known {
				return ns, true
			}
		}
		if clusterScoped[gk] {
			return false, true
		}
		if ns, ok := crds[gk]; ok {
			return ns, true
		}
		if ns, ok := seen[gk]; ok {
			return ns, true
		}
		if gk.Group == "" || isBuiltinGroup(gk.Group) {
			return true, true
		}
		return true, false
	}
}

func isBuiltinGroup(g string) bool {
	switch g {
	case "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
		"storage.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io",
		"scheduling.k8s.io", "node.k8s.io", "certificates.k8s.io", "resource.k8s.io",
		"admissionregistration.k8s.io", "apiextensions.k8s.io", "apiregistration.k8s.io",
		"flowcontrol.apiserver.k8s.io":
		return true
	}
	return false
}

// NewScope is the scope Compute plans with: next (the cluster's
// discovery, may be nil), then Kubernetes' own kinds and the CRDs among
// desired. Callers checking a plan's objects use the same answer.
func NewScope(desired []*unstructured.Unstructured, next ScopeFunc) ScopeFunc {
	return builtinScope(desired, nil, next)
}

// checkScopes names every kind whose scope is unknown, with an object of
// it, in one error wrapping ErrUnknownScope; objects that skip the dry-run
// on a missing resource (skipAll, or their annotation) are let through.
func checkScopes(desired []*unstructured.Unstructured, scope ScopeFunc, skipAll bool) error {
	var unknown []string
	seen := map[schema.GroupKind]bool{}
	for _, u := range desired {
		gk := u.GroupVersionKind().GroupKind()
		if seen[gk] || skipAll || syncOption(u, "SkipDryRunOnMissingResource", "true") {
			continue
		}
		seen[gk] = true
		if _, known := scope(gk); !known {
			unknown = append(unknown, fmt.Sprintf("%s (kind %s)", object.Describe(u), u.GetAPIVersion()+"/"+gk.Kind))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %w; held until the cluster serves it", strings.Join(unknown, ", "), ErrUnknownScope)
}
