//go:build tools

// Package etcd pins the etcd server built by e2e/k8sbin/build.sh.
package etcd

import _ "go.etcd.io/etcd/server/v3"
