package declare

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Owner kinds of ManagedBy.
const (
	OwnerApplication    = "Application"
	OwnerApplicationSet = "ApplicationSet"
	OwnerConfigRepo     = "ConfigRepository"
)

// sameOwner reports whether two declarers are the same one (repository,
// revision and path aside: they move with each commit).
func sameOwner(a, b *pb.ManagedBy) bool {
	return a.GetKind() == b.GetKind() && a.GetName() == b.GetName()
}

// Describe names a declarer for messages: "application apps (https://git/x.git, path apps)".
func Describe(m *pb.ManagedBy) string {
	var who string
	switch m.GetKind() {
	case OwnerApplication:
		who = "application " + m.GetName()
	case OwnerApplicationSet:
		who = "applicationset " + m.GetName()
	case OwnerConfigRepo:
		who = "the configuration repository"
	default:
		return "the API"
	}
	if m.GetRepoUrl() != "" {
		who += fmt.Sprintf(" (%s, path %s)", m.GetRepoUrl(), orDot(m.GetPath()))
	}
	return who
}

func orDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}

// CheckOwner refuses a change of an object declared elsewhere: through
// the API (o.Owner nil) unless forced, and by another declarer always. A
// declarer may adopt what the API created: that is how an application
// created with the CLI moves into Git.
func CheckOwner(kind, name string, current *pb.ManagedBy, o Options) error {
	switch {
	case current.GetKind() == "" || sameOwner(current, o.Owner):
		return nil
	case o.Owner == nil && o.Force:
		return nil
	case o.Owner == nil:
		return status.Errorf(codes.FailedPrecondition, "%s %s is declared in Git by %s: change it there, or force (Git puts it back at its next change)",
			kind, name, Describe(current))
	}
	return status.Errorf(codes.AlreadyExists, "%s %s is already declared by %s", kind, name, Describe(current))
}

// keepOwner returns who declares an object after a change: the declarer,
// or for a forced API change, whoever declared it before.
func keepOwner(current *pb.ManagedBy, o Options) *pb.ManagedBy {
	if o.Owner == nil {
		return current
	}
	return proto.Clone(o.Owner).(*pb.ManagedBy)
}

func errText(err error) string {
	if s, ok := status.FromError(err); ok {
		return s.Message()
	}
	return err.Error()
}

// sameDeclaration reports whether two versions of an object are equal but
// for the revision they were read at: a commit that changes nothing of a
// declaration changes nothing of the object (and reconciles nothing).
func sameDeclaration[T proto.Message](a, b T, managedBy func(T) *pb.ManagedBy) bool {
	ca, cb := proto.Clone(a).(T), proto.Clone(b).(T)
	if m := managedBy(ca); m != nil {
		m.Revision = ""
	}
	if m := managedBy(cb); m != nil {
		m.Revision = ""
	}
	return proto.Equal(ca, cb)
}

// change says what replacing old (when found) by cur does: the action
// (Created, Updated or Unchanged) and the diff of their documents.
func change[T proto.Message](old, cur T, found bool, doc func(T) map[string]any, managedBy func(T) *pb.ManagedBy, what string) (string, string) {
	if !found {
		return Created, yamlDiff(nil, doc(cur), what)
	}
	if sameDeclaration(cur, old, managedBy) {
		return Unchanged, ""
	}
	return Updated, yamlDiff(doc(old), doc(cur), what)
}
