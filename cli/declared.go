package cli

import (
	"fmt"
	"io"

	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// declaredIn says where Git declares an object ("" when the API does).
func declaredIn(m *pb.ManagedBy) string {
	var who string
	switch m.GetKind() {
	case "":
		return ""
	case "Application":
		who = "application " + m.GetName()
	case "ApplicationSet":
		who = "applicationset " + m.GetName()
	default:
		who = "the configuration repository"
	}
	if m.GetRepoUrl() == "" {
		return who
	}
	rev := m.GetRevision()
	if len(rev) > 12 {
		rev = rev[:12]
	}
	path := m.GetPath()
	if path == "" {
		path = "."
	}
	return fmt.Sprintf("%s (%s@%s, path %s)", who, m.GetRepoUrl(), rev, path)
}

// printDeclared prints where an application is declared and the fields
// of its declaration Flotilla does not honour.
func printDeclared(w io.Writer, a *pb.Application) {
	if d := declaredIn(a.GetManagedBy()); d != "" {
		fmt.Fprintf(w, "Declared: %s (change it there; the CLI refuses unless --force)\n", d)
	}
	for _, warn := range a.GetWarnings() {
		fmt.Fprintf(w, "Warning:  %s\n", warn)
	}
	fmt.Fprintln(w)
}

// writeDocs writes documents as one multi-document YAML stream.
func writeDocs(w io.Writer, docs ...map[string]any) error {
	b, err := manifest.Marshal(docs...)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
