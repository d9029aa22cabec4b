package appset

import "errors"

// Sentinel errors; returned wrapped with the field path or the generated name
// at fault.
var (
	// ErrInvalid means a field has the wrong type or a value Argo CD refuses.
	ErrInvalid = errors.New("invalid")
	// ErrUnsupported means a generator kind or field Argo CD knows but this
	// engine does not implement (scmProvider, pullRequest, elementsYaml...).
	ErrUnsupported = errors.New("not supported")
	// ErrUnknownField means a generator key neither Argo CD nor this engine knows.
	ErrUnknownField = errors.New("unknown field")
	// ErrTooDeep means matrix and merge generators nest more than two levels.
	ErrTooDeep = errors.New("matrix and merge generators nest more than two levels")
	// ErrTooMany means the set would generate more than MaxApps applications.
	ErrTooMany = errors.New("too many applications")
	// ErrTooLarge means a rendered string or the whole output exceeds its limit.
	ErrTooLarge = errors.New("rendered output exceeds the size limit")
	// ErrBudget means the Go templates of a set would do more than
	// MaxTemplateWork units of work.
	ErrBudget = errors.New("template work exceeds the budget")
	// ErrTemplate means a template failed to parse or execute.
	ErrTemplate = errors.New("template")
	// ErrDuplicateName means two parameter sets render the same metadata.name.
	ErrDuplicateName = errors.New("duplicate application name")
	// ErrInvalidName means metadata.name is missing or not a DNS subdomain.
	ErrInvalidName = errors.New("invalid application name")
)

// Limits on hostile input.
const (
	// MaxApps is the most applications (and parameter sets at any stage) a
	// set may generate.
	MaxApps = 10000
	// MaxDepth is how deep matrix and merge generators may nest (Argo CD: a
	// matrix or merge may hold one more matrix or merge, no deeper).
	MaxDepth = 2
	// MaxStringBytes bounds one rendered string.
	MaxStringBytes = 1 << 20
	// MaxTotalBytes bounds all rendered strings of one Generate call.
	MaxTotalBytes = 256 << 20
	// MaxTemplateWork bounds the work of all Go template executions of one
	// Generate call: a range iteration costs the template nodes of its body
	// (at least one), a function call one unit plus one per 256 bytes of
	// strings and per 8 list items it takes or returns (see work). About a
	// second of CPU at most.
	MaxTemplateWork = 1_000_000
)
