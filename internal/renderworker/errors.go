package renderworker

import "errors"

// Sentinel errors, wrapped with what was rendered.
var (
	// ErrKilled is a worker stopped by a limit; the error names the limit.
	ErrKilled = errors.New("render killed")
	// ErrClosed is a render asked of a closed pool.
	ErrClosed = errors.New("render pool closed")

	errWall = errors.New("wall clock") // the cause of a worker's own deadline
)
