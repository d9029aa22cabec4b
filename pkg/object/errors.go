package object

import (
	"errors"
	"fmt"
)

// Sentinel errors; wrapped in a *DecodeError that says where.
var (
	ErrTooLarge        = errors.New("file exceeds the size limit")
	ErrTooManyDocs     = errors.New("too many documents")
	ErrAliasBomb       = errors.New("document expands beyond the node limit (YAML alias expansion)")
	ErrTooDeep         = errors.New("document nesting exceeds the depth limit")
	ErrNotAnObject     = errors.New("document is not a Kubernetes object")
	ErrUnsupportedYAML = errors.New("unsupported YAML value")
)

// ErrIncomplete is an ErrNotAnObject for a document that names an
// apiVersion or a kind but lacks another required field (a typo such as
// "kinds:"): it is meant as an object and is never skipped.
var ErrIncomplete error = incomplete{}

type incomplete struct{}

func (incomplete) Error() string        { return ErrNotAnObject.Error() }
func (incomplete) Is(target error) bool { return target == ErrNotAnObject }

// DecodeError says which file, document (1-based) and line a decoding
// problem was found at. Line is 0 when unknown.
type DecodeError struct {
	File string
	Doc  int
	Line int
	Err  error
}

func (e *DecodeError) Error() string {
	loc := e.File
	if e.Doc > 0 {
		loc += fmt.Sprintf(": document %d", e.Doc)
	}
	if e.Line > 0 {
		loc += fmt.Sprintf(", line %d", e.Line)
	}
	return loc + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }
