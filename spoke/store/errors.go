package store

import "errors"

// Errors callers match with errors.Is.
var (
	// ErrNotFound: no such target or plan.
	ErrNotFound = errors.New("not found")
	// ErrSuperseded: the run being saved belongs to a plan or generation
	// that is no longer the target's.
	ErrSuperseded = errors.New("superseded by a newer plan")
	// ErrSchema: the database was written by an incompatible spoke.
	ErrSchema = errors.New("incompatible store schema")
)
