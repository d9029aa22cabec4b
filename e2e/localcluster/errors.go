package localcluster

import "errors"

var (
	// ErrBinariesMissing: the cluster binaries are not built (or stale).
	ErrBinariesMissing = errors.New("local cluster binaries missing")
	// ErrExited: a cluster process exited while it should be running.
	ErrExited = errors.New("process exited")
	// ErrNoCluster: a directory holds no cluster state (cluster.json).
	ErrNoCluster = errors.New("no local cluster")
	// ErrNoMain: Shared was called from a package whose TestMain does not
	// call Main.
	ErrNoMain = errors.New("localcluster.Main not called from TestMain")
)
