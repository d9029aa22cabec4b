package watch

import "errors"

// ErrNotRunning: SetTarget was called before Run.
var ErrNotRunning = errors.New("watcher not running")
