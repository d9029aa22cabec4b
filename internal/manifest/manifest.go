// Package manifest converts the declarative YAML kinds a configuration
// repository holds to the API's types and back: Flotilla's own kinds
// (apiVersion flotilla.dev/v1alpha1: Application, Project, ApplicationSet,
// Cluster) and Argo CD's, accepted unchanged (argoproj.io/v1alpha1:
// Application, AppProject, ApplicationSet).
//
// It is a pure converter: no network, no store, no clock. A field Flotilla
// does not honour is reported as a warning naming its path, never dropped
// silently; a document Flotilla cannot honour at all is refused with a
// *DocError naming its file, document, object and field.
package manifest

import (
	"fmt"
	"strings"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

const (
	APIVersion     = "flotilla.dev/v1alpha1" // Flotilla's own kinds
	ArgoAPIVersion = "argoproj.io/v1alpha1"  // Argo CD's, accepted unchanged
)

// Normalised kinds (Object.Kind).
const (
	KindApplication    = "Application"
	KindProject        = "Project" // also Argo CD's AppProject
	KindApplicationSet = "ApplicationSet"
	KindCluster        = "Cluster"
)

const (
	flotillaGroup = "flotilla.dev"
	argoGroup     = "argoproj.io"
)

// kinds maps an API group and a declared kind to the normalised kind.
var kinds = map[string]map[string]string{
	argoGroup: {
		"Application":    KindApplication,
		"AppProject":     KindProject,
		"ApplicationSet": KindApplicationSet,
	},
	flotillaGroup: {
		"Application":    KindApplication,
		"Project":        KindProject,
		"ApplicationSet": KindApplicationSet,
		"Cluster":        KindCluster,
	},
}

// Object is one declared object.
type Object struct {
	File       string // where it came from, for messages
	Index      int    // the document's index in its file, from 0
	APIVersion string
	Kind       string // normalised: "Application", "Project" (also for AppProject), "ApplicationSet", "Cluster"
	Name       string

	App     *pb.Application    // Kind Application
	Project *pb.Project        // Kind Project
	AppSet  *pb.ApplicationSet // Kind ApplicationSet
	Cluster *ClusterLabels     // Kind Cluster

	// Fields not honoured, e.g. `spec.source.helm.fileParameters: not
	// supported, ignored`. The same list is in the object's own warnings
	// field (App.Warnings, Project.Warnings, AppSet.Warnings).
	Warnings []string
}

// ClusterLabels sets the labels of a registered cluster.
type ClusterLabels struct {
	Name   string
	Labels map[string]string
}

// DocError is a refused document. Its message reads
// `FILE: document N (Kind NAME): FIELD: why`, N being Index; the parts
// not known are omitted.
type DocError struct {
	File  string
	Index int
	Kind  string // as declared (AppProject, not Project)
	Name  string
	Field string // path in the document, e.g. spec.source.repoURL
	Err   error
}

func (e *DocError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	fmt.Fprintf(&b, "document %d", e.Index+1) // counted from 1 for people; Index from 0
	switch {
	case e.Kind != "" && e.Name != "":
		fmt.Fprintf(&b, " (%s %s)", e.Kind, e.Name)
	case e.Kind != "":
		fmt.Fprintf(&b, " (%s)", e.Kind)
	case e.Name != "":
		fmt.Fprintf(&b, " (%s)", e.Name)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *DocError) Unwrap() error { return e.Err }

// IsConfigKind reports whether apiVersion/kind is one of the kinds this
// package reads (any version of the argoproj.io and flotilla.dev groups).
func IsConfigKind(apiVersion, kind string) bool {
	return normalKind(apiVersion, kind) != ""
}

// normalKind is the normalised kind of apiVersion/kind, "" when it is not
// one of ours.
func normalKind(apiVersion, kind string) string {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok || version == "" {
		return ""
	}
	return kinds[group][kind]
}
