// Package suite is Flotilla's end-to-end suite: the real flotilla-hub and
// one flotilla-spoke per cluster run as subprocesses, exactly as a user runs
// them, against two local Kubernetes clusters (e2e/localcluster) and Git
// repositories served over HTTP (internal/gitserver); every scenario is
// driven with the flotilla CLI binary and checked against the clusters'
// API servers with client-go.
//
// The package holds tests only. The first test builds the three binaries
// and starts everything once; the scenarios share the hub, the spokes and
// the clusters, each in its own namespace, repository and applications.
// When a test fails the run directory (hub and spoke logs, cluster logs)
// is kept and its path printed (FLOTILLA_E2E_KEEP=1 keeps it always).
//
//	go test -timeout 30m ./e2e/suite/...
package suite
