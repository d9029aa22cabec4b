package plan

import "errors"

// ErrDuplicate: two desired objects have the same identity.
var ErrDuplicate = errors.New("declared more than once in the desired state")
