package diff

import "errors"

// Sentinel errors; returned wrapped with the rule, expression or object at
// fault.
var (
	// ErrInvalidRule means an ignore rule cannot be used: an unparsable jq
	// expression, a JSON pointer not starting with "/", or unknown fields.
	ErrInvalidRule = errors.New("invalid ignore rule")
	// ErrJQTimeout means a jq path expression ran longer than the limit.
	ErrJQTimeout = errors.New("jq expression timed out")
	// ErrNoObject means Compare was given neither a desired nor a live object.
	ErrNoObject = errors.New("no desired or live object")
	// ErrDuplicate means two objects of one side share an identity.
	ErrDuplicate = errors.New("duplicate object")
)
