package rbac

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Lookup finds what a request does not say: the hub gives a store-backed
// one. Each method wraps ErrNotFound for a name that does not exist.
type Lookup interface {
	// ProjectOf is an application's project ("" means the default one).
	ProjectOf(app string) (string, error)
	// ProjectOfAppSet is the project of the applications an ApplicationSet
	// generates (its template's), AnyProject when that is templated.
	ProjectOfAppSet(name string) (string, error)
	// SubjectOfToken is whose a token or session is: an account's name or
	// proj:PROJECT:ROLE.
	SubjectOfToken(id string) (string, error)
}

type mapper func(req proto.Message, look Lookup) (Need, error)

// on adapts a mapper of one request type.
func on[T proto.Message](f func(T, Lookup) (Need, error)) mapper {
	return func(req proto.Message, look Lookup) (Need, error) {
		r, ok := req.(T)
		if !ok {
			var want T
			return Need{}, fmt.Errorf("request is %T, not %T", req, want)
		}
		return f(r, look)
	}
}

// methods maps every admin call; README.md tabulates it.
var methods = map[string]mapper{}

func register(service string, m map[string]mapper) {
	for name, f := range m {
		methods["/flotilla.v1."+service+"/"+name] = f
	}
}

// openPrefixes are not admin calls.
var openPrefixes = []string{"/flotilla.v1.SpokeService/", "/grpc.health.v1.", "/grpc.reflection."}

// PermissionFor says what the call fullMethod with req needs. An unknown
// method is an error wrapping ErrUnknownMethod (deny it); so is a request
// of the wrong type, and a Lookup failure other than ErrNotFound.
func PermissionFor(fullMethod string, req proto.Message, look Lookup) (Need, error) {
	for _, p := range openPrefixes {
		if strings.HasPrefix(fullMethod, p) {
			return Need{Access: Open}, nil
		}
	}
	m, ok := methods[fullMethod]
	if !ok {
		return Need{}, fmt.Errorf("%s: %w", fullMethod, ErrUnknownMethod)
	}
	n, err := m(req, look)
	if err != nil {
		return Need{}, fmt.Errorf("%s: %w", fullMethod, err)
	}
	return n, nil
}

func check(ps ...Permission) Need { return Need{Access: Check, Permissions: ps} }

func list(resource string) Need {
	return Need{Access: List, Permissions: []Permission{{Resource: resource, Action: "get", Object: "*"}}}
}

func perm(resource, action, object string) Permission {
	return Permission{Resource: resource, Action: action, Object: object}
}

// found turns a lookup's ErrNotFound into AnyProject.
func found(project string, err error) (string, error) {
	if errors.Is(err, ErrNotFound) {
		return AnyProject, nil
	}
	return project, err
}

func appProject(look Lookup, app string) (string, error) {
	p, err := found(look.ProjectOf(app))
	if err != nil {
		return "", fmt.Errorf("project of application %q: %w", app, err)
	}
	return p, nil
}

// onApp maps a call about one application (or its rollout) by name.
func onApp[T interface {
	proto.Message
	GetName() string
}](resource, action string) mapper {
	return on(func(r T, look Lookup) (Need, error) {
		p, err := appProject(look, r.GetName())
		if err != nil {
			return Need{}, err
		}
		return check(perm(resource, action, ProjectObject(p, r.GetName()))), nil
	})
}

// onAppSet maps a call about one ApplicationSet by name.
func onAppSet[T interface {
	proto.Message
	GetName() string
}](action string) mapper {
	return on(func(r T, look Lookup) (Need, error) {
		p, err := found(look.ProjectOfAppSet(r.GetName()))
		if err != nil {
			return Need{}, fmt.Errorf("project of ApplicationSet %q: %w", r.GetName(), err)
		}
		return check(perm("applicationsets", action, ProjectObject(p, r.GetName()))), nil
	})
}

// onName maps a call about one object named by the request.
func onName[T interface {
	proto.Message
	GetName() string
}](resource, action string) mapper {
	return on(func(r T, _ Lookup) (Need, error) {
		return check(perm(resource, action, r.GetName())), nil
	})
}

// creating needs create, and update too when it may replace (upsert).
func creating(resource, object string, upsert bool) Need {
	n := check(perm(resource, "create", object))
	if upsert {
		n.Permissions = append(n.Permissions, perm(resource, "update", object))
	}
	return n
}

// RepoObject is a repository's URL as RBAC names it: without credentials,
// so that none reach a denial's message.
func RepoObject(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil || u.Scheme == "" {
		return raw
	}
	u.User = nil
	return u.String()
}

func init() {
	register("RepositoryService", map[string]mapper{
		"AddRepository": on(func(r *pb.AddRepositoryRequest, _ Lookup) (Need, error) {
			return creating("repositories", RepoObject(r.GetRepository().GetUrl()), r.GetUpsert()), nil
		}),
		"ListRepositories": on(func(*pb.ListRepositoriesRequest, Lookup) (Need, error) { return list("repositories"), nil }),
		"RemoveRepository": on(func(r *pb.RemoveRepositoryRequest, _ Lookup) (Need, error) {
			return check(perm("repositories", "delete", RepoObject(r.GetUrl()))), nil
		}),
	})
	register("RolloutService", map[string]mapper{
		"GetRollout":     onApp[*pb.GetRolloutRequest]("rollouts", "get"),
		"PauseRollout":   onApp[*pb.PauseRolloutRequest]("rollouts", "update"),
		"ResumeRollout":  onApp[*pb.ResumeRolloutRequest]("rollouts", "update"),
		"ApproveRollout": onApp[*pb.ApproveRolloutRequest]("rollouts", "update"),
		"AbortRollout":   onApp[*pb.AbortRolloutRequest]("rollouts", "update"),
	})
	register("ConfigService", map[string]mapper{
		"Apply": on(func(*pb.ApplyRequest, Lookup) (Need, error) { return Need{Access: PerObject}, nil }),
	})
	register("ApplicationSetService", map[string]mapper{
		"GetApplicationSet":    onAppSet[*pb.GetApplicationSetRequest]("get"),
		"ListApplicationSets":  on(func(*pb.ListApplicationSetsRequest, Lookup) (Need, error) { return list("applicationsets"), nil }),
		"DeleteApplicationSet": onAppSet[*pb.DeleteApplicationSetRequest]("delete"),
	})
	register("ProjectService", map[string]mapper{
		"CreateProject": on(func(r *pb.CreateProjectRequest, _ Lookup) (Need, error) {
			return creating("projects", r.GetProject().GetName(), r.GetUpsert()), nil
		}),
		"GetProject":    onName[*pb.GetProjectRequest]("projects", "get"),
		"ListProjects":  on(func(*pb.ListProjectsRequest, Lookup) (Need, error) { return list("projects"), nil }),
		"DeleteProject": onName[*pb.DeleteProjectRequest]("projects", "delete"),
	})
	register("ClusterService", map[string]mapper{
		"AddCluster":         onName[*pb.AddClusterRequest]("clusters", "create"),
		"GetCluster":         onName[*pb.GetClusterRequest]("clusters", "get"),
		"ListClusters":       on(func(*pb.ListClustersRequest, Lookup) (Need, error) { return list("clusters"), nil }),
		"RemoveCluster":      onName[*pb.RemoveClusterRequest]("clusters", "delete"),
		"RotateClusterToken": onName[*pb.RotateClusterTokenRequest]("clusters", "update"),
		"UpdateCluster":      onName[*pb.UpdateClusterRequest]("clusters", "update"),
	})
	register("AuditService", map[string]mapper{
		"ListAuditEntries": on(func(*pb.ListAuditEntriesRequest, Lookup) (Need, error) {
			return check(perm("audit", "get", "*")), nil
		}),
	})
}
