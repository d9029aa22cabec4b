// Package localcluster runs real, independent Kubernetes clusters on
// 127.0.0.1 for tests, demos and benchmarks: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok with fake Nodes, so that
// Pods run, Deployments become Available and Jobs Complete (or fail on
// purpose, see FailLabel) as they would in a real cluster.
//
// The binaries are built from Go modules by e2e/k8sbin/build.sh and cached
// in ${XDG_CACHE_HOME:-$HOME/.cache}/flotilla/k8s/<version>/ (see Binaries).
//
// Each cluster lives in its own directory:
//
//	DIR/.flotilla-localcluster marker: only such directories are ever deleted
//	DIR/kubeconfig             admin kubeconfig (system:masters)
//	DIR/cluster.json           ports, server, pids (read by Load and Status)
//	DIR/pki/                   CA, serving and client certificates, SA key
//	DIR/etcd/                  etcd data
//	DIR/logs/<name>.log        one log per process
//	DIR/pids/<name>.pid        "PID STARTTIME" per process, for Stop and Sweep
//	DIR/kwok.yaml              kwok configuration and Stages (see FailLabel)
//
// Every process runs in its own process group and is stopped by PID. In a
// test process (Options.Detach false) the children also get a parent-death
// signal, and Sweep kills what a crashed run left behind before the next
// start. In tests, use Main, Shared and NewNamespace.
package localcluster
