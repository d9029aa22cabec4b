package render

import "errors"

// Sentinel errors, wrapped with the path or object concerned.
var (
	ErrEscape        = errors.New("leaves the repository root")
	ErrLimit         = errors.New("limit exceeded")
	ErrRemoteBase    = errors.New("remote kustomize bases are not allowed: Flotilla renders only from the application's repository")
	ErrReadOnly      = errors.New("the repository is read-only while rendering")
	ErrUnknownSource = errors.New("unknown source kind")
)
