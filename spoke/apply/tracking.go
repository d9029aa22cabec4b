package apply

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Marks the spoke puts on every object it applies.
const (
	// AnnotationTracking names the application and the object's identity,
	// "<app>:<group>/<kind>:<namespace>/<name>" (Argo CD's tracking-id
	// format), so that a copied or foreign object is never taken for ours.
	AnnotationTracking = "flotilla.dev/tracking-id"
	// LabelManaged lets the spoke's informers watch only the objects it
	// manages ("true").
	LabelManaged = "flotilla.dev/managed"
)

// TrackingID returns the tracking id of u in application app.
func TrackingID(app string, u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	return app + ":" + gvk.Group + "/" + gvk.Kind + ":" + u.GetNamespace() + "/" + u.GetName()
}

// Track returns a copy of u marked as applied by app: tracking annotation
// and managed label.
func Track(app string, u *unstructured.Unstructured) *unstructured.Unstructured {
	c := TrackHook(app, u)
	labels := c.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelManaged] = "true"
	c.SetLabels(labels)
	return c
}

// TrackHook returns a copy of u with the tracking annotation only: hooks
// are not watched for drift.
func TrackHook(app string, u *unstructured.Unstructured) *unstructured.Unstructured {
	c := u.DeepCopy()
	ann := c.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationTracking] = TrackingID(app, c)
	c.SetAnnotations(ann)
	return c
}

// TrackedBy returns the application named by u's tracking annotation, and
// whether that annotation matches u's own identity (a copy of an object
// under another name or namespace is not tracked).
func TrackedBy(u *unstructured.Unstructured) (app string, ok bool) {
	id := u.GetAnnotations()[AnnotationTracking]
	app, rest, found := strings.Cut(id, ":")
	if !found {
		return "", false
	}
	return app, TrackingID(app, u) == app+":"+rest
}
