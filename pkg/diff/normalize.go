package diff

import "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

// LastAppliedAnnotation is written by `kubectl apply` (client side) and is
// never part of a comparison.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// serverMetadata lists metadata fields the API server sets; a manifest never
// owns them.
var serverMetadata = []string{
	"managedFields",
	"uid",
	"resourceVersion",
	"generation",
	"creationTimestamp",
	"deletionTimestamp",
	"deletionGracePeriodSeconds",
	"selfLink",
}

// Normalize returns a deep copy of u without status, server-set metadata,
// the last-applied-configuration annotation and empty labels or annotations.
// It returns nil for nil.
func Normalize(u *unstructured.Unstructured) *unstructured.Unstructured {
	if u == nil {
		return nil
	}
	c := u.DeepCopy()
	normalizeInPlace(c.Object)
	return c
}

// normalizeInPlace normalises an object the caller already owns.
func normalizeInPlace(obj map[string]any) {
	delete(obj, "status")
	md, ok := obj["metadata"].(map[string]any)
	if !ok {
		return
	}
	for _, f := range serverMetadata {
		delete(md, f)
	}
	if ann, ok := md["annotations"].(map[string]any); ok {
		delete(ann, LastAppliedAnnotation)
	}
	for _, f := range []string{"annotations", "labels"} {
		if v, set := md[f]; set && isEmpty(v) {
			delete(md, f)
		}
	}
}

// isEmpty reports whether v is null or an empty map.
func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}
