//go:build tools

// Package kubectl pins the kubectl command that e2e/k8sbin/build.sh builds
// for the benchmarks (bench/peers). It is not part of the test clusters.
package kubectl

import _ "k8s.io/kubernetes/cmd/kubectl"
