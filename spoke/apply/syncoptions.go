package apply

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// AnnotationSyncOptions holds an object's own sync options, as Argo CD
// reads them ("Replace=true,Validate=false").
const AnnotationSyncOptions = "argocd.argoproj.io/sync-options"

// HasSyncOption reports whether u's sync-options annotation holds
// key=value (value case-insensitive), as Argo CD reads it.
func HasSyncOption(u *unstructured.Unstructured, key, value string) bool {
	for _, kv := range strings.Split(u.GetAnnotations()[AnnotationSyncOptions], ",") {
		k, v, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(k) == key && strings.EqualFold(strings.TrimSpace(v), value) {
			return true
		}
	}
	return false
}

// fieldValidation is the API server's check of a write of u, as kubectl's
// --validate: Strict (unknown and duplicate fields are errors: Argo CD's
// Validate=true, the default), or Ignore (they are dropped) when the plan
// says Validate=false for every object (off) or u's own sync options say
// Validate=false. Without it the API server only warns
// and drops unknown fields of a create or a replace (hooks, Replace=true).
// Server-side apply refuses unknown fields whatever it is told.
func fieldValidation(u *unstructured.Unstructured, off bool) string {
	if off || HasSyncOption(u, "Validate", "false") {
		return metav1.FieldValidationIgnore
	}
	return metav1.FieldValidationStrict
}
