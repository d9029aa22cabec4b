package apply

import (
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Sentinel errors, returned wrapped with the object's identity.
var (
	// ErrNoNamespace: a namespaced object names no namespace.
	ErrNoNamespace = errors.New("namespaced object without a namespace")
	// ErrNotTracked: the object is not tracked by the application that
	// wants to prune it.
	ErrNotTracked = errors.New("not tracked by this application")
)

// notFound returns the details of an API server NotFound error (nil when
// it carries none); ok is false for any other error.
func notFound(err error) (d *metav1.StatusDetails, ok bool) {
	var st apierrors.APIStatus
	if !apierrors.IsNotFound(err) || !errors.As(err, &st) {
		return nil, false
	}
	return st.Status().Details, true
}

// IsResourceGone reports whether err is the API server's 404 for a whole
// resource (its CRD was deleted since discovery ran), not for one object
// or its namespace: an apply creates missing objects, so only a missing
// resource (or namespace) makes it NotFound.
func IsResourceGone(err error) bool {
	d, ok := notFound(err)
	return ok && (d == nil || (d.Name == "" && d.Kind == ""))
}

// IsNamespaceNotFound reports whether err is the 404 for a missing
// namespace.
func IsNamespaceNotFound(err error) bool {
	d, ok := notFound(err)
	return ok && d != nil && d.Kind == "namespaces"
}
