package localcluster

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigPath is where the kubeconfig of identity id lives: the admin's
// at DIR/kubeconfig, the components' under DIR/pki.
func kubeconfigPath(dir, id string) string {
	if id == "admin" {
		return filepath.Join(dir, "kubeconfig")
	}
	return filepath.Join(dir, "pki", id+".kubeconfig")
}

// writeKubeconfigs writes one kubeconfig per identity, with the
// certificates inline so that the admin's can be copied elsewhere.
func writeKubeconfigs(dir, name, server string, p pki) error {
	ca, err := os.ReadFile(p.caCert())
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	for _, id := range identities {
		cert, err := os.ReadFile(p.cert(id.file))
		if err != nil {
			return fmt.Errorf("kubeconfig %s: %w", id.file, err)
		}
		key, err := os.ReadFile(p.key(id.file))
		if err != nil {
			return fmt.Errorf("kubeconfig %s: %w", id.file, err)
		}
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
		cfg.AuthInfos[id.file] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: id.file, Namespace: "default"}
		cfg.CurrentContext = name
		if err := clientcmd.WriteToFile(*cfg, kubeconfigPath(dir, id.file)); err != nil {
			return fmt.Errorf("kubeconfig %s: %w", id.file, err)
		}
	}
	return nil
}

// restConfig loads the admin kubeconfig of a cluster directory.
func restConfig(dir string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath(dir, "admin"))
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", kubeconfigPath(dir, "admin"), err)
	}
	cfg.QPS = 200
	cfg.Burst = 400
	cfg.UserAgent = "flotilla-localcluster"
	return cfg, nil
}
