//go:build tools

// Package kwok pins the kwok command built by e2e/k8sbin/build.sh.
package kwok

import _ "sigs.k8s.io/kwok/cmd/kwok"
