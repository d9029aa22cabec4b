package render

import "errors"

// Sentinel errors, wrapped with the path or object concerned.
var (
	ErrEscape        = errors.New("leaves the repository root")
	ErrLimit         = errors.New("limit exceeded")
	ErrRemoteBase    = errors.New("remote kustomize bases are not allowed: Flotilla renders only from the application's repository")
	ErrMissingBase   = errors.New("is not a file or directory in the repository (Kustomize would try to fetch it, and remote bases are not allowed)")
	ErrReadOnly      = errors.New("the repository is read-only while rendering")
	ErrKustomizeHelm = errors.New("Kustomize's Helm inflation is not supported (it runs the helm binary and downloads the chart): keep the chart in the repository and make it a Helm source, or its rendered output a Kustomize resource")
	ErrUnknownSource = errors.New("unknown source kind")
)
