package rbac

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// adminMethods walks the registered flotilla.v1 services but SpokeService:
// full method name to an empty request.
func adminMethods(t *testing.T) map[string]proto.Message {
	t.Helper()
	out := map[string]proto.Message{}
	protoregistry.GlobalFiles.RangeFilesByPackage("flotilla.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			if sd.Name() == "SpokeService" {
				continue
			}
			for j := range sd.Methods().Len() {
				md := sd.Methods().Get(j)
				mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
				if err != nil {
					t.Fatalf("%s: %v", md.FullName(), err)
				}
				out[fmt.Sprintf("/%s/%s", sd.FullName(), md.Name())] = mt.New().Interface()
			}
		}
		return true
	})
	if len(out) < 40 {
		t.Fatalf("found only %d admin methods: is the proto package registered?", len(out))
	}
	return out
}

func TestEveryAdminMethodIsMapped(t *testing.T) {
	all := adminMethods(t)
	for m, req := range all {
		n, err := PermissionFor(m, req, look)
		if err != nil {
			t.Errorf("%s: %v", m, err)
			continue
		}
		if n.Access == 0 {
			t.Errorf("%s: zero Need", m)
		}
	}
	for m := range methods {
		if _, ok := all[m]; !ok {
			t.Errorf("%s is mapped but is no admin method", m)
		}
	}
}

func TestPermissionForUnknownAndOpen(t *testing.T) {
	if _, err := PermissionFor("/flotilla.v1.ApplicationService/Nope", &pb.GetApplicationRequest{}, look); !errors.Is(err, ErrUnknownMethod) {
		t.Errorf("unknown method: %v", err)
	}
	if _, err := PermissionFor("/flotilla.v1.ApplicationService/GetApplication", &pb.GetProjectRequest{}, look); err == nil {
		t.Error("a request of the wrong type was mapped")
	}
	if _, err := PermissionFor("/flotilla.v1.ApplicationService/GetApplication", nil, look); err == nil {
		t.Error("a nil request was mapped")
	}
	for _, m := range []string{"/flotilla.v1.SpokeService/Connect", "/grpc.health.v1.Health/Check",
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"} {
		n, err := PermissionFor(m, nil, look)
		if err != nil || n.Access != Open {
			t.Errorf("%s: %v %v, want open", m, n, err)
		}
	}
	if n, err := PermissionFor("/flotilla.v1.AccountService/Login", &pb.LoginRequest{}, look); err != nil || n.Access != Open {
		t.Errorf("Login: %v %v, want open", n, err)
	}
}

type failingLookup struct{ fakeLookup }

func (failingLookup) ProjectOf(string) (string, error) { return "", errors.New("store closed") }

func TestPermissionForLookupFailure(t *testing.T) {
	_, err := PermissionFor("/flotilla.v1.ApplicationService/SyncApplication", &pb.SyncApplicationRequest{Name: "guestbook"}, failingLookup{look})
	if err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	want := `/flotilla.v1.ApplicationService/SyncApplication: project of application "guestbook": store closed`
	if err.Error() != want {
		t.Errorf("%q, want %q", err, want)
	}
}

func p(res, act, obj string) Permission { return Permission{res, act, obj} }

func TestPermissionFor(t *testing.T) {
	app := func(name, project string) *pb.Application { return &pb.Application{Name: name, Project: project} }
	tests := map[string]struct {
		method string
		req    proto.Message
		want   Need
	}{
		"sync": {"ApplicationService/SyncApplication", &pb.SyncApplicationRequest{Name: "guestbook"},
			check(p("applications", "sync", "team-a/guestbook"))},
		"sync to a chosen revision needs override": {"ApplicationService/SyncApplication", &pb.SyncApplicationRequest{Name: "guestbook", Revision: "v2"},
			check(p("applications", "sync", "team-a/guestbook"), p("applications", "override", "team-a/guestbook"))},
		"default project": {"ApplicationService/GetApplication", &pb.GetApplicationRequest{Name: "legacy"},
			check(p("applications", "get", "default/legacy"))},
		"missing app asks every project": {"ApplicationService/DeleteApplication", &pb.DeleteApplicationRequest{Name: "ghost"},
			check(p("applications", "delete", "*/ghost"))},
		"delete forced": {"ApplicationService/DeleteApplication", &pb.DeleteApplicationRequest{Name: "guestbook", Force: true},
			check(p("applications", "delete", "team-a/guestbook"), p("applications", "override", "team-a/guestbook"))},
		"create": {"ApplicationService/CreateApplication", &pb.CreateApplicationRequest{Application: app("new", "team-b")},
			check(p("applications", "create", "team-b/new"))},
		"create no project": {"ApplicationService/CreateApplication", &pb.CreateApplicationRequest{Application: app("new", "")},
			check(p("applications", "create", "default/new"))},
		"create existing without upsert": {"ApplicationService/CreateApplication", &pb.CreateApplicationRequest{Application: app("guestbook", "team-a")},
			check(p("applications", "create", "team-a/guestbook"))},
		"upsert new": {"ApplicationService/CreateApplication", &pb.CreateApplicationRequest{Application: app("new", "team-a"), Upsert: true},
			check(p("applications", "create", "team-a/new"))},
		"upsert existing": {"ApplicationService/CreateApplication", &pb.CreateApplicationRequest{Application: app("guestbook", "team-a"), Upsert: true},
			check(p("applications", "create", "team-a/guestbook"), p("applications", "update", "team-a/guestbook"))},
		"upsert moving": {"ApplicationService/CreateApplication", &pb.CreateApplicationRequest{Application: app("guestbook", "team-b"), Upsert: true, Force: true},
			check(p("applications", "create", "team-b/guestbook"), p("applications", "update", "team-b/guestbook"),
				p("applications", "update", "team-a/guestbook"),
				p("applications", "override", "team-b/guestbook"), p("applications", "override", "team-a/guestbook"))},
		"update": {"ApplicationService/UpdateApplication", &pb.UpdateApplicationRequest{Application: app("guestbook", "team-a")},
			check(p("applications", "update", "team-a/guestbook"))},
		"update moving needs both": {"ApplicationService/UpdateApplication", &pb.UpdateApplicationRequest{Application: app("guestbook", "team-b")},
			check(p("applications", "update", "team-a/guestbook"), p("applications", "update", "team-b/guestbook"))},
		"update default to default": {"ApplicationService/UpdateApplication", &pb.UpdateApplicationRequest{Application: app("legacy", "default")},
			check(p("applications", "update", "default/legacy"))},
		"update forced": {"ApplicationService/UpdateApplication", &pb.UpdateApplicationRequest{Application: app("guestbook", "team-a"), Force: true},
			check(p("applications", "update", "team-a/guestbook"), p("applications", "override", "team-a/guestbook"))},
		"update missing": {"ApplicationService/UpdateApplication", &pb.UpdateApplicationRequest{Application: app("ghost", "team-a")},
			check(p("applications", "update", "*/ghost"))},
		"watch one": {"ApplicationService/WatchApplications", &pb.WatchApplicationsRequest{Name: "guestbook"},
			check(p("applications", "get", "team-a/guestbook"))},
		"watch all":   {"ApplicationService/WatchApplications", &pb.WatchApplicationsRequest{}, list("applications")},
		"list filter": {"ApplicationService/ListApplications", &pb.ListApplicationsRequest{Project: "team-a"}, list("applications")},
		"rollback": {"ApplicationService/RollbackApplication", &pb.RollbackApplicationRequest{Name: "billing"},
			check(p("applications", "sync", "team-b/billing"))},
		"rollout": {"RolloutService/AbortRollout", &pb.AbortRolloutRequest{Name: "guestbook"},
			check(p("rollouts", "update", "team-a/guestbook"))},
		"appset": {"ApplicationSetService/DeleteApplicationSet", &pb.DeleteApplicationSetRequest{Name: "team-a-set"},
			check(p("applicationsets", "delete", "team-a/team-a-set"))},
		"appset templated": {"ApplicationSetService/GetApplicationSet", &pb.GetApplicationSetRequest{Name: "templated"},
			check(p("applicationsets", "get", "*/templated"))},
		"repo without credentials": {"RepositoryService/AddRepository",
			&pb.AddRepositoryRequest{Repository: &pb.Repository{Url: "https://user:s3cret@git.example.com/org/repo.git"}},
			check(p("repositories", "create", "https://git.example.com/org/repo.git"))},
		"repo upsert": {"RepositoryService/AddRepository",
			&pb.AddRepositoryRequest{Repository: &pb.Repository{Url: "git@github.com:org/repo.git"}, Upsert: true},
			check(p("repositories", "create", "git@github.com:org/repo.git"), p("repositories", "update", "git@github.com:org/repo.git"))},
		"project upsert": {"ProjectService/CreateProject", &pb.CreateProjectRequest{Project: &pb.Project{Name: "team-c"}, Upsert: true},
			check(p("projects", "create", "team-c"), p("projects", "update", "team-c"))},
		"cluster labels": {"ClusterService/UpdateCluster", &pb.UpdateClusterRequest{Name: "prod-east"},
			check(p("clusters", "update", "prod-east"))},
		"audit":  {"AuditService/ListAuditEntries", &pb.ListAuditEntriesRequest{Kind: "cluster"}, check(p("audit", "get", "*"))},
		"apply":  {"ConfigService/Apply", &pb.ApplyRequest{}, Need{Access: PerObject}},
		"can-i":  {"AccountService/CanI", &pb.CanIRequest{}, Need{Access: Authenticated}},
		"whoami": {"AccountService/GetUserInfo", &pb.GetUserInfoRequest{}, Need{Access: Authenticated}},
		"own password": {"AccountService/UpdatePassword", &pb.UpdatePasswordRequest{},
			Need{Access: Self, Permissions: []Permission{{Resource: "accounts", Action: "update"}}}},
		"named password": {"AccountService/UpdatePassword", &pb.UpdatePasswordRequest{Name: "bob"},
			Need{Access: Check, Permissions: []Permission{p("accounts", "update", "bob")}, Owner: "bob"}},
		"own token": {"AccountService/CreateToken", &pb.CreateTokenRequest{},
			Need{Access: Self, Permissions: []Permission{{Resource: "accounts", Action: "update"}}}},
		"account token": {"AccountService/CreateToken", &pb.CreateTokenRequest{Account: "bob"},
			Need{Access: Check, Permissions: []Permission{p("accounts", "update", "bob")}, Owner: "bob"}},
		"project role token": {"AccountService/CreateToken", &pb.CreateTokenRequest{Project: "team-a", Role: "ci"},
			check(p("projects", "update", "team-a"))},
		"list own tokens": {"AccountService/ListTokens", &pb.ListTokensRequest{},
			Need{Access: Self, Permissions: []Permission{{Resource: "accounts", Action: "get"}}}},
		"list project role tokens": {"AccountService/ListTokens", &pb.ListTokensRequest{Project: "team-a", Role: "ci"},
			check(p("projects", "get", "team-a"))},
		"delete account's token": {"AccountService/DeleteToken", &pb.DeleteTokenRequest{Id: "tok-alice"},
			Need{Access: Check, Permissions: []Permission{p("accounts", "update", "alice")}, Owner: "alice"}},
		"delete project role's token": {"AccountService/DeleteToken", &pb.DeleteTokenRequest{Id: "tok-ci"},
			check(p("projects", "update", "team-a"))},
		"delete missing token": {"AccountService/DeleteToken", &pb.DeleteTokenRequest{Id: "nope"},
			check(p("accounts", "update", "*"))},
		"rotate admin token": {"AccountService/RotateAdminToken", &pb.RotateAdminTokenRequest{},
			check(p("accounts", "update", "admin"))},
		"list accounts": {"AccountService/ListAccounts", &pb.ListAccountsRequest{}, list("accounts")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := PermissionFor("/flotilla.v1."+tt.method, tt.req, look)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestApplyPermissions(t *testing.T) {
	tests := map[string]struct {
		c    ApplyChange
		want []Permission
	}{
		"app created":   {ApplyChange{Kind: "Application", Name: "web", Project: "team-a", Action: "created"}, []Permission{p("applications", "create", "team-a/web")}},
		"app unchanged": {ApplyChange{Kind: "Application", Name: "web", Action: "unchanged"}, []Permission{p("applications", "get", "default/web")}},
		"app moved": {ApplyChange{Kind: "Application", Name: "web", Project: "team-b", PreviousProject: "team-a", Action: "updated", Forced: true},
			[]Permission{p("applications", "update", "team-b/web"), p("applications", "update", "team-a/web"),
				p("applications", "override", "team-b/web"), p("applications", "override", "team-a/web")}},
		"app pruned":     {ApplyChange{Kind: "Application", Name: "web", Project: "team-a", Action: "deleted"}, []Permission{p("applications", "delete", "team-a/web")}},
		"project":        {ApplyChange{Kind: "AppProject", Name: "team-a", Action: "updated", Forced: true}, []Permission{p("projects", "update", "team-a")}},
		"flotilla kind":  {ApplyChange{Kind: "Project", Name: "team-a", Action: "created"}, []Permission{p("projects", "create", "team-a")}},
		"set templated":  {ApplyChange{Kind: "ApplicationSet", Name: "s", Project: AnyProject, Action: "created"}, []Permission{p("applicationsets", "create", "*/s")}},
		"cluster labels": {ApplyChange{Kind: "Cluster", Name: "prod", Action: "updated"}, []Permission{p("clusters", "update", "prod")}},
		"refused":        {ApplyChange{Kind: "Widget", Action: "refused"}, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ApplyPermissions(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := ApplyPermissions(ApplyChange{Kind: "Widget", Action: "created"}); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := ApplyPermissions(ApplyChange{Kind: "Cluster", Action: "exploded"}); err == nil {
		t.Error("unknown action accepted")
	}
}
