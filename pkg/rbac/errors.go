package rbac

import (
	"errors"
	"fmt"
)

// ErrNotFound is what a Lookup wraps when the application, ApplicationSet
// or token it was asked about does not exist. PermissionFor then asks for
// the permission on every project ("*/NAME"), so that only a subject who
// may see the name anywhere learns that it does not exist.
var ErrNotFound = errors.New("not found")

// ErrUnknownMethod: PermissionFor has no mapping for the method; the call
// is denied.
var ErrUnknownMethod = errors.New("no RBAC mapping for method (denied)")

// ErrUnauthenticated: Authorize was asked about a subject with no name for
// a call that is not open.
var ErrUnauthenticated = errors.New("not authenticated")

// DeniedError is the refusal of one permission. Its message is what
// PermissionDenied statuses and 403 bodies say.
type DeniedError struct {
	Permission Permission
}

func (e *DeniedError) Error() string { return "permission denied: " + e.Permission.String() }

// LineError is one refused line of a policy CSV.
type LineError struct {
	// Line counts from 1 in the policy given to New.
	Line   int
	Text   string
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("policy line %d: %s: %s", e.Line, e.Text, e.Reason)
}
