package executor

import "errors"

// Sentinel errors, wrapped with the object and the reason.
var (
	// ErrWaveTimeout: a step's objects did not become healthy in time.
	ErrWaveTimeout = errors.New("wave timed out")
	// ErrUnknownAction: the plan holds an action this spoke does not know.
	ErrUnknownAction = errors.New("unknown action")
	// ErrDegraded: an object of a step became Degraded.
	ErrDegraded = errors.New("degraded")
	// ErrHookFailed: a hook ended in failure.
	ErrHookFailed = errors.New("hook failed")
	// ErrDryRun: the server-side dry-run refused an object.
	ErrDryRun = errors.New("dry-run failed")
)

// ErrUnknownKind: the cluster does not serve a kind of the plan.
var ErrUnknownKind = errors.New("unknown kind")

// ErrSharedResource: an object of the plan is tracked by another
// application (or, for a hook to delete first, is not this one's).
var ErrSharedResource = errors.New("managed by another application")

// ErrClientSideApply: an object's sync options say ServerSideApply=false.
var ErrClientSideApply = errors.New("sync option ServerSideApply=false: Flotilla always applies server-side (Replace=true replaces the object whole)")
