package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flotilla-gitops/flotilla/internal/version"
	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// fieldManager owns what `cluster add --kubeconfig` applies.
const fieldManager = "flotilla"

// kubeTarget is the cluster `cluster add --kubeconfig/--context` installs
// the spoke in.
type kubeTarget struct {
	name   string // kubeconfig context, for messages
	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// loadKube loads a cluster's client as kubectl does: --kubeconfig alone,
// else KUBECONFIG, else ~/.kube/config; --context, else the current one.
func loadKube(kubeconfig, kubeContext string) (*kubeTarget, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	name := kubeContext
	if name == "" {
		raw, err := cc.RawConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
		name = raw.CurrentContext
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = "flotilla/" + version.Version
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %s: %w", name, err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %s: %w", name, err)
	}
	return &kubeTarget{name: name, dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// resource is the client of an object's resource, in its namespace.
func (k *kubeTarget) resource(ctx context.Context, u *unstructured.Unstructured) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	gvk := u.GroupVersionKind()
	m, err := k.mapper.RESTMappingWithContext(ctx, gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("context %s: %s: %w", k.name, object.Describe(u), err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return k.dyn.Resource(m.Resource).Namespace(u.GetNamespace()), m, nil
	}
	return k.dyn.Resource(m.Resource), m, nil
}

// check runs before the cluster is registered: the cluster answers, serves
// every kind of objs, and has every namespace they go in that they do not
// create (those of --allowed-namespaces).
func (k *kubeTarget) check(ctx context.Context, objs []*unstructured.Unstructured) error {
	created := map[string]bool{}
	for _, u := range objs {
		if u.GetKind() == "Namespace" && u.GetAPIVersion() == "v1" {
			created[u.GetName()] = true
		}
	}
	nsRes := k.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})
	for _, u := range objs {
		if _, _, err := k.resource(ctx, u); err != nil {
			return err
		}
		ns := u.GetNamespace()
		if ns == "" || created[ns] {
			continue
		}
		_, err := nsRes.Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("context %s: namespace %s (for %s) does not exist: create it first", k.name, ns, object.Describe(u))
		}
		if err != nil {
			return fmt.Errorf("context %s: namespace %s: %w", k.name, ns, err)
		}
		created[ns] = true
	}
	return nil
}

// apply applies objs in order with server-side apply (field manager
// flotilla, taking over conflicting fields) and prints a line per object
// as kubectl apply --server-side does.
func (k *kubeTarget) apply(ctx context.Context, objs []*unstructured.Unstructured, w io.Writer) error {
	for _, u := range objs {
		ri, m, err := k.resource(ctx, u)
		if err != nil {
			return err
		}
		if _, err := ri.Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			return fmt.Errorf("context %s: %s: apply: %w", k.name, object.Describe(u), err)
		}
		kind := strings.ToLower(m.GroupVersionKind.Kind)
		if g := m.GroupVersionKind.Group; g != "" {
			kind += "." + g
		}
		if _, err := fmt.Fprintf(w, "%s/%s serverside-applied\n", kind, u.GetName()); err != nil {
			return err
		}
	}
	return nil
}
