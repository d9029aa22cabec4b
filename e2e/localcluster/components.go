package localcluster

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
)

// Address ranges of every local cluster (they never leave the machine).
const (
	serviceCIDR = "10.96.0.0/16"
	serviceIP   = "10.96.0.1" // the kubernetes Service, in the serving cert
	podCIDR     = "10.244.0.0/16"
)

// Ports are the TCP ports a cluster listens on, all on 127.0.0.1. The
// controller-manager and the scheduler serve nothing (--secure-port=0).
type Ports struct {
	APIServer int `json:"apiserver"`
	EtcdPeer  int `json:"etcdPeer"`
	Etcd      int `json:"etcd"`
	Kwok      int `json:"kwok"`
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1. They
// are released before use, so another process may take one; Start retries
// with new ports when a component reports the address in use.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func allocatePorts() (Ports, error) {
	p, err := freePorts(4)
	if err != nil {
		return Ports{}, err
	}
	return Ports{APIServer: p[0], Etcd: p[1], EtcdPeer: p[2], Kwok: p[3]}, nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func etcdArgs(dir string, ports Ports) []string {
	client := "http://" + loopback(ports.Etcd)
	peer := "http://" + loopback(ports.EtcdPeer)
	return []string{
		"--name=default",
		"--data-dir=" + filepath.Join(dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=default=" + peer,
		"--unsafe-no-fsync", // throwaway data: trade durability for speed
		"--log-level=warn",
	}
}

func apiServerArgs(dir string, ports Ports, p pki) []string {
	return []string{
		"--etcd-servers=http://" + loopback(ports.Etcd),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(ports.APIServer),
		// Without it 1.37 tries to reconcile the kubernetes endpoints to
		// 127.0.0.1, which it refuses.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(dir, "pki"),
		"--tls-cert-file=" + p.serverCert(),
		"--tls-private-key-file=" + p.serverKey(),
		"--client-ca-file=" + p.caCert(),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + p.saPub(),
		"--service-account-signing-key-file=" + p.saKey(),
		"--service-cluster-ip-range=" + serviceCIDR,
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		"--profiling=false",
	}
}

func controllerManagerArgs(dir string, p pki) []string {
	return []string{
		"--kubeconfig=" + kubeconfigPath(dir, "kube-controller-manager"),
		"--secure-port=0",
		"--leader-elect=false",
		// Each controller gets its own service account; the default RBAC
		// policy for system:kube-controller-manager assumes it.
		"--use-service-account-credentials=true",
		// It creates a ServiceAccount and token per controller at start-up:
		// the default 20 QPS makes that take ~5 s.
		"--kube-api-qps=200",
		"--kube-api-burst=400",
		"--service-account-private-key-file=" + p.saKey(),
		"--root-ca-file=" + p.caCert(),
		"--cluster-cidr=" + podCIDR,
		"--service-cluster-ip-range=" + serviceCIDR,
		"--profiling=false",
	}
}

func schedulerArgs(dir string) []string {
	return []string{
		"--kubeconfig=" + kubeconfigPath(dir, "kube-scheduler"),
		"--secure-port=0",
		"--leader-elect=false",
		"--profiling=false",
	}
}

func kwokArgs(dir string, ports Ports) []string {
	return []string{
		"--kubeconfig=" + kubeconfigPath(dir, "kwok"),
		"--config=" + filepath.Join(dir, "kwok.yaml"),
		// It binds 0.0.0.0:10247 otherwise, and two clusters collide.
		"--server-address=" + loopback(ports.Kwok),
	}
}
