package render

import "errors"

// Sentinel errors, wrapped with the path or object concerned.
var (
	ErrEscape        = errors.New("leaves the repository root")
	ErrLimit         = errors.New("limit exceeded")
	ErrRemoteBase    = errors.New("remote kustomize bases are not allowed here: the hub fetches the remote bases of an application's kustomizations itself (from Git repositories its project allows), never Kustomize, and not those of a remote base or a remote file")
	ErrMissingBase   = errors.New("is not a file or directory in the repository (Kustomize would try to fetch it)")
	ErrReadOnly      = errors.New("the repository is read-only while rendering")
	ErrKustomizeHelm = errors.New("Kustomize's Helm inflation is off for this application: enable it with kustomize.enableHelm (flotilla app set --kustomize-enable-helm), as kustomize build --enable-helm")
	ErrUnknownSource = errors.New("unknown source kind")
)
