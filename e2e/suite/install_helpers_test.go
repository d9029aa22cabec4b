package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

// freshCluster starts a local cluster of its own for one test (about 6 s):
// install tests bind roles and create cluster-wide objects the suite's
// clusters must not get.
func (e *env) freshCluster(t *testing.T, name string) *cluster {
	t.Helper()
	ctx := ctxT(t)
	kbin, err := localcluster.Binaries(ctx, localcluster.BuildIfNeeded, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := localcluster.Start(ctx, localcluster.Options{Name: name, Dir: filepath.Join(e.root, "fresh-"+name), BinDir: kbin,
		Nodes: 1, ReadyTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lc.Stop(context.Background()); err != nil {
			t.Errorf("stop cluster %s: %v", name, err)
		}
	})
	c := &cluster{Cluster: lc}
	if c.kube, err = lc.Clientset(); err != nil {
		t.Fatal(err)
	}
	if c.dyn, err = dynamic.NewForConfig(lc.Config()); err != nil {
		t.Fatal(err)
	}
	return c
}

// createNamespaces creates namespaces that may already exist.
func (c *cluster) createNamespaces(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}
		if _, err := c.kube.CoreV1().Namespaces().Create(ctxT(t), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("%s: create namespace %s: %v", c.Name, n, err)
		}
	}
}

// serverSideApply applies every object of a YAML stream as `kubectl apply
// --server-side --force-conflicts` does, under one field manager, and
// returns each object as the API server answered, by kind/ns/name, without
// what controllers write on their own (status, resourceVersion, the times
// in managedFields): two answers differ only if the apply changed the
// object.
func (c *cluster) serverSideApply(t *testing.T, stream []byte, manager string) map[string]string {
	t.Helper()
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.kube.Discovery()))
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(string(stream)), 4096)
	applied := map[string]string{}
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if err.Error() == "EOF" {
				return applied
			}
			t.Fatalf("%s: decode: %v", c.Name, err)
		}
		if obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		m, err := mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
		if err != nil {
			t.Fatalf("%s: %s %s: %v", c.Name, u.GetKind(), u.GetName(), err)
		}
		var ri dynamic.ResourceInterface = c.dyn.Resource(m.Resource)
		if u.GetNamespace() != "" {
			ri = c.dyn.Resource(m.Resource).Namespace(u.GetNamespace())
		}
		body, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		force := true
		got, err := ri.Patch(ctxT(t), u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: manager, Force: &force})
		if err != nil {
			t.Fatalf("%s: server-side apply %s %s/%s: %v", c.Name, u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
		applied[fmt.Sprintf("%s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())] = appliedState(t, u, got, manager)
	}
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates as a
// ServiceAccount with a token from the TokenRequest API, as a pod of that
// ServiceAccount would be, and returns its path.
func (e *env) serviceAccountKubeconfig(t *testing.T, c *cluster, ns, sa string) string {
	t.Helper()
	ttl := int64(3600)
	tr, err := c.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctxT(t), sa,
		&authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &ttl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("%s: token of %s/%s: %v", c.Name, ns, sa, err)
	}
	rc := c.Config()
	ca := rc.CAData
	if len(ca) == 0 && rc.CAFile != "" {
		if ca, err = os.ReadFile(rc.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[c.Name] = &clientcmdapi.Cluster{Server: rc.Host, CertificateAuthorityData: ca}
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	cfg.Contexts[c.Name] = &clientcmdapi.Context{Cluster: c.Name, AuthInfo: sa}
	cfg.CurrentContext = c.Name
	path := filepath.Join(e.root, fmt.Sprintf("%s-%s-%s.kubeconfig", c.Name, ns, sa))
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// startSpokeAs registers a cluster and runs a spoke for it with a
// kubeconfig (and extra flags), stopped when the test ends; it returns
// once the hub lists the cluster Connected.
func (e *env) startSpokeAs(t *testing.T, name, kubeconfig string, extra ...string) *proc {
	t.Helper()
	token, err := e.addCluster(ctxT(t), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.flotilla(t, "cluster", "remove", name) })
	tokenFile := filepath.Join(e.root, name+".token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--hub", e.hub.grpcAddr, "--insecure", "--token-file", tokenFile, "--kubeconfig", kubeconfig,
		"--data-dir", filepath.Join(e.root, "spoke-"+name)}, extra...)
	p, err := startProc("flotilla-spoke "+name, filepath.Join(e.root, "spoke-"+name+".log"), filepath.Join(e.bin, "flotilla-spoke"), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.stop(10 * time.Second); err != nil {
			t.Logf("spoke %s: %v", name, err)
		}
	})
	if err := e.waitConnected(ctxT(t), time.Minute, name); err != nil {
		t.Fatalf("%v\n%s", err, p.logTail(20))
	}
	return p
}

// appliedState is an object as an apply of sent left it, as JSON: what
// controllers write on their own (status, their managedFields entries, the
// annotations sent does not hold, resourceVersion, times) left out.
func appliedState(t *testing.T, sent, got *unstructured.Unstructured, manager string) string {
	t.Helper()
	u := got.DeepCopy()
	unstructured.RemoveNestedField(u.Object, "status")
	u.SetResourceVersion("")
	var mine []metav1.ManagedFieldsEntry
	for _, m := range u.GetManagedFields() {
		if m.Manager == manager {
			m.Time = nil
			mine = append(mine, m)
		}
	}
	u.SetManagedFields(mine)
	ann := map[string]string{}
	for k, v := range u.GetAnnotations() {
		if _, ok := sent.GetAnnotations()[k]; ok {
			ann[k] = v
		}
	}
	u.SetAnnotations(ann)
	b, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
