package manifest

import (
	"errors"
	"fmt"
)

// Sentinel errors; a *DocError wraps one of them (errors.Is).
var (
	ErrSyntax       = errors.New("YAML syntax error")
	ErrUnknownKind  = errors.New("unknown kind")
	ErrRequired     = errors.New("required")
	ErrInvalid      = errors.New("invalid")
	ErrUnknownField = errors.New("unknown field")
	ErrNotSupported = errors.New("not supported")
)

// fieldError is a problem at one field of a document; FromMap turns it
// into a *DocError.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

func errAt(field string, err error) error { return &fieldError{field: field, err: err} }

// invalid is an ErrInvalid with a reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// notSupportedYet is an ErrNotSupported for something Flotilla may do later.
func notSupportedYet(what string) error {
	return fmt.Errorf("%s: %w yet", what, ErrNotSupported)
}
