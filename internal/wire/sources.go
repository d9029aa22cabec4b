package wire

import (
	"fmt"
	"strings"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Sources returns an application's sources: spec.sources when it has
// several, else its one source.
func Sources(a *pb.Application) []*pb.ApplicationSource {
	if len(a.GetSources()) > 0 {
		return a.GetSources()
	}
	return []*pb.ApplicationSource{a.GetSource()}
}

// ReadsRepo says whether one of a's sources is the repository url.
func ReadsRepo(a *pb.Application, url string) bool {
	for _, s := range Sources(a) {
		if s.GetRepoUrl() == url {
			return true
		}
	}
	return false
}

// RevisionSep joins the revisions of an application's sources into its
// revision: neither Git refs nor semver constraints hold it.
const RevisionSep = ":"

// TargetRevision is what a's revision is asked to be: its sources'
// target revisions, joined.
func TargetRevision(a *pb.Application) string {
	if len(a.GetSources()) == 0 {
		return a.GetSource().GetTargetRevision()
	}
	revs := make([]string, len(a.GetSources()))
	for i, s := range a.GetSources() {
		revs[i] = s.GetTargetRevision()
	}
	return strings.Join(revs, RevisionSep)
}

// SplitRevision returns the revision of each of a's sources in rev.
func SplitRevision(a *pb.Application, rev string) ([]string, error) {
	if len(a.GetSources()) == 0 {
		return []string{rev}, nil
	}
	parts := strings.Split(rev, RevisionSep)
	if len(parts) != len(a.GetSources()) {
		return nil, fmt.Errorf("revision %q: application %s has %d sources: give one revision per source, joined by %q",
			rev, a.GetName(), len(a.GetSources()), RevisionSep)
	}
	return parts, nil
}

// Renders says whether source s of a renders objects: every source but
// one that only lends its repository to the others (ref with neither
// path nor chart).
func Renders(a *pb.Application, s *pb.ApplicationSource) bool {
	return len(a.GetSources()) == 0 || s.GetRef() == "" || s.GetPath() != "" || s.GetChart() != ""
}

// RefPath splits a Helm values file "$REF/path" into the ref and the path
// inside its repository; ok is false for an ordinary values file.
func RefPath(file string) (ref, p string, ok bool) {
	rest, ok := strings.CutPrefix(file, "$")
	if !ok {
		return "", "", false
	}
	ref, p, _ = strings.Cut(rest, "/")
	return ref, p, true
}
