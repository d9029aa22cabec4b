package plan

import "errors"

// ErrDuplicate: two desired objects have the same identity.
var ErrDuplicate = errors.New("declared more than once in the desired state")

// ErrUnknownScope: the scope of a kind is not known (the cluster does not
// serve it and no CRD of the desired state defines it), so it can be
// neither placed in a namespace nor checked against a project.
var ErrUnknownScope = errors.New("kind not served by the cluster and defined by no CRD of the application")
