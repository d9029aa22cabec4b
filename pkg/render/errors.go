package render

import "errors"

// Sentinel errors, wrapped with the path or object concerned.
var (
	ErrEscape        = errors.New("leaves the repository root")
	ErrLimit         = errors.New("limit exceeded")
	ErrRemoteBase    = errors.New("remote kustomize bases are not allowed: Flotilla renders only from the application's repository")
	ErrMissingBase   = errors.New("is not a file or directory in the repository (Kustomize would try to fetch it, and remote bases are not allowed)")
	ErrReadOnly      = errors.New("the repository is read-only while rendering")
	ErrKustomizeHelm = errors.New("Kustomize's Helm inflation is off for this application: enable it with kustomize.enableHelm (flotilla app set --kustomize-enable-helm), as kustomize build --enable-helm")
	ErrUnknownSource = errors.New("unknown source kind")
)
