package apply

import "errors"

// Sentinel errors, returned wrapped with the object's identity.
var (
	// ErrNoNamespace: a namespaced object names no namespace.
	ErrNoNamespace = errors.New("namespaced object without a namespace")
	// ErrNotTracked: the object is not tracked by the application that
	// wants to prune it.
	ErrNotTracked = errors.New("not tracked by this application")
)
