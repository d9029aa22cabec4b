package object

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ID identifies an object the way Kubernetes does for ownership and pruning:
// group, kind, namespace and name. The version is not part of identity, so
// apps/v1 and apps/v1beta2 Deployments of the same name are one object.
type ID struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// IDOf returns the identity of u.
func IDOf(u *unstructured.Unstructured) ID {
	gvk := u.GroupVersionKind()
	return ID{Group: gvk.Group, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: nameOf(u)}
}

// IDFor returns the identity of the object an apiVersion, kind, namespace
// and name refer to (the version dropped): the one key wherever objects
// are matched.
func IDFor(apiVersion, kind, namespace, name string) ID {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		gv.Group = apiVersion // unparsable: kept whole, still one key per object
	}
	return ID{Group: gv.Group, Kind: kind, Namespace: namespace, Name: name}
}

func nameOf(u *unstructured.Unstructured) string {
	if n := u.GetName(); n != "" {
		return n
	}
	if g := u.GetGenerateName(); g != "" {
		return g + "*"
	}
	return ""
}

// GroupKind returns the group and kind of the identity.
func (id ID) GroupKind() schema.GroupKind { return schema.GroupKind{Group: id.Group, Kind: id.Kind} }

// String renders the identity as group/Kind/namespace/name, omitting empty
// group and namespace ("Deployment/web/api", "apps/Deployment/web/api").
func (id ID) String() string {
	parts := make([]string, 0, 4)
	if id.Group != "" {
		parts = append(parts, id.Group)
	}
	parts = append(parts, id.Kind)
	if id.Namespace != "" {
		parts = append(parts, id.Namespace)
	}
	parts = append(parts, id.Name)
	return strings.Join(parts, "/")
}

// Less orders identities by group, kind, namespace, name.
func (id ID) Less(o ID) bool {
	if id.Group != o.Group {
		return id.Group < o.Group
	}
	if id.Kind != o.Kind {
		return id.Kind < o.Kind
	}
	if id.Namespace != o.Namespace {
		return id.Namespace < o.Namespace
	}
	return id.Name < o.Name
}

// Describe names an object for error messages: "Deployment web/api".
func Describe(u *unstructured.Unstructured) string {
	name := nameOf(u)
	if ns := u.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return fmt.Sprintf("%s %s", u.GetKind(), name)
}
