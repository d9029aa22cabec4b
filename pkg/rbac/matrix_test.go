package rbac

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// fixtures is one request per admin method, about objects of team-a
// (guestbook, team-a-set), cluster prod-east and account bob.
var fixtures = map[string]proto.Message{
	"ApplicationService/CreateApplication":       &pb.CreateApplicationRequest{Application: &pb.Application{Name: "new", Project: "team-a"}},
	"ApplicationService/GetApplication":          &pb.GetApplicationRequest{Name: "guestbook", Refresh: true},
	"ApplicationService/ListApplications":        &pb.ListApplicationsRequest{},
	"ApplicationService/UpdateApplication":       &pb.UpdateApplicationRequest{Application: &pb.Application{Name: "guestbook", Project: "team-a"}},
	"ApplicationService/DeleteApplication":       &pb.DeleteApplicationRequest{Name: "guestbook", Cascade: true},
	"ApplicationService/SyncApplication":         &pb.SyncApplicationRequest{Name: "guestbook"},
	"ApplicationService/DiffApplication":         &pb.DiffApplicationRequest{Name: "guestbook"},
	"ApplicationService/GetPlan":                 &pb.GetPlanRequest{Name: "guestbook"},
	"ApplicationService/ListHistory":             &pb.ListHistoryRequest{Name: "guestbook"},
	"ApplicationService/RollbackApplication":     &pb.RollbackApplicationRequest{Name: "guestbook", HistoryId: 1},
	"ApplicationService/WatchApplications":       &pb.WatchApplicationsRequest{Name: "guestbook"},
	"ApplicationService/ApproveApplication":      &pb.ApproveApplicationRequest{Name: "guestbook", All: true},
	"ApplicationService/TerminateOperation":      &pb.TerminateOperationRequest{Name: "guestbook"},
	"RepositoryService/AddRepository":            &pb.AddRepositoryRequest{Repository: &pb.Repository{Url: "https://github.com/org/team-a-apps"}},
	"RepositoryService/ListRepositories":         &pb.ListRepositoriesRequest{},
	"RepositoryService/RemoveRepository":         &pb.RemoveRepositoryRequest{Url: "https://github.com/org/team-a-apps"},
	"RolloutService/GetRollout":                  &pb.GetRolloutRequest{Name: "guestbook"},
	"RolloutService/PauseRollout":                &pb.PauseRolloutRequest{Name: "guestbook"},
	"RolloutService/ResumeRollout":               &pb.ResumeRolloutRequest{Name: "guestbook"},
	"RolloutService/ApproveRollout":              &pb.ApproveRolloutRequest{Name: "guestbook"},
	"RolloutService/AbortRollout":                &pb.AbortRolloutRequest{Name: "guestbook"},
	"ConfigService/Apply":                        &pb.ApplyRequest{},
	"ApplicationSetService/GetApplicationSet":    &pb.GetApplicationSetRequest{Name: "team-a-set"},
	"ApplicationSetService/ListApplicationSets":  &pb.ListApplicationSetsRequest{},
	"ApplicationSetService/DeleteApplicationSet": &pb.DeleteApplicationSetRequest{Name: "team-a-set"},
	"ProjectService/CreateProject":               &pb.CreateProjectRequest{Project: &pb.Project{Name: "team-c"}},
	"ProjectService/GetProject":                  &pb.GetProjectRequest{Name: "team-a"},
	"ProjectService/ListProjects":                &pb.ListProjectsRequest{},
	"ProjectService/DeleteProject":               &pb.DeleteProjectRequest{Name: "team-a"},
	"ClusterService/AddCluster":                  &pb.AddClusterRequest{Name: "prod-east"},
	"ClusterService/GetCluster":                  &pb.GetClusterRequest{Name: "prod-east"},
	"ClusterService/ListClusters":                &pb.ListClustersRequest{},
	"ClusterService/RemoveCluster":               &pb.RemoveClusterRequest{Name: "prod-east"},
	"ClusterService/RotateClusterToken":          &pb.RotateClusterTokenRequest{Name: "prod-east"},
	"ClusterService/UpdateCluster":               &pb.UpdateClusterRequest{Name: "prod-east"},
	"AuditService/ListAuditEntries":              &pb.ListAuditEntriesRequest{},
	"AccountService/Login":                       &pb.LoginRequest{Username: "bob"},
	"AccountService/GetSettings":                 &pb.GetSettingsRequest{},
	"AccountService/GetUserInfo":                 &pb.GetUserInfoRequest{},
	"AccountService/CreateAccount":               &pb.CreateAccountRequest{Name: "bob"},
	"AccountService/ListAccounts":                &pb.ListAccountsRequest{},
	"AccountService/DeleteAccount":               &pb.DeleteAccountRequest{Name: "bob"},
	"AccountService/UpdatePassword":              &pb.UpdatePasswordRequest{},
	"AccountService/CreateToken":                 &pb.CreateTokenRequest{},
	"AccountService/ListTokens":                  &pb.ListTokensRequest{},
	"AccountService/DeleteToken":                 &pb.DeleteTokenRequest{Id: "tok-alice"},
	"AccountService/CanI":                        &pb.CanIRequest{},
	"AccountService/RotateAdminToken":            &pb.RotateAdminTokenRequest{},
}

const matrixPolicy = `
p, role:team-a-dev, applications, *, team-a/*, allow
p, role:team-a-dev, applications, delete, team-a/*, deny
p, role:team-a-dev, rollouts, get, team-a/*, allow
p, role:team-a-dev, clusters, get, *, allow
p, role:team-a-dev, clusters, get, prod-*, deny
g, my-org:team-a, role:team-a-dev

p, proj:team-a:ci, applications, get, team-a/*, allow
p, proj:team-a:ci, applications, sync, team-a/*, allow
`

// Every authenticated caller may make these: open, authenticated, list
// (filtered) and per-object (checked per document) calls.
var anyone = []string{
	"AccountService/Login", "AccountService/GetSettings", "AccountService/GetUserInfo", "AccountService/CanI",
	"ApplicationService/ListApplications", "RepositoryService/ListRepositories",
	"ApplicationSetService/ListApplicationSets", "ProjectService/ListProjects",
	"ClusterService/ListClusters", "AccountService/ListAccounts", "ConfigService/Apply",
}

// Every account (not a project role) may make these about itself.
var ownAccount = []string{"AccountService/UpdatePassword", "AccountService/CreateToken", "AccountService/ListTokens"}

func TestMatrix(t *testing.T) {
	e := mustNew(t, matrixPolicy, "")
	var every []string
	for m := range fixtures {
		every = append(every, m)
	}
	tests := map[string]struct {
		s       Subject
		allowed []string
	}{
		"admin token": {Subject{Name: "admin"}, every},
		"role:admin":  {Subject{Name: "root", Roles: []string{"admin"}}, every},
		"role:readonly": {Subject{Name: "ro", Roles: []string{"readonly"}}, concat(anyone, ownAccount,
			"ApplicationService/GetApplication", "ApplicationService/DiffApplication", "ApplicationService/GetPlan",
			"ApplicationService/ListHistory", "ApplicationService/WatchApplications", "RolloutService/GetRollout",
			"ApplicationSetService/GetApplicationSet", "ProjectService/GetProject", "ClusterService/GetCluster",
			"AuditService/ListAuditEntries")},
		"project role": {Subject{Name: "proj:team-a:ci"}, concat(anyone,
			"ApplicationService/GetApplication", "ApplicationService/DiffApplication", "ApplicationService/GetPlan",
			"ApplicationService/ListHistory", "ApplicationService/WatchApplications", "ApplicationService/SyncApplication",
			"ApplicationService/RollbackApplication", "ApplicationService/ApproveApplication", "ApplicationService/TerminateOperation")},
		"custom role with deny lines, by group": {Subject{Name: "carol", Groups: []string{"my-org:team-a"}}, concat(anyone, ownAccount,
			"ApplicationService/CreateApplication", "ApplicationService/GetApplication", "ApplicationService/UpdateApplication",
			"ApplicationService/SyncApplication", "ApplicationService/DiffApplication", "ApplicationService/GetPlan",
			"ApplicationService/ListHistory", "ApplicationService/RollbackApplication", "ApplicationService/WatchApplications",
			"ApplicationService/ApproveApplication", "ApplicationService/TerminateOperation", "RolloutService/GetRollout")},
		"no roles":           {Subject{Name: "bob"}, concat(anyone, ownAccount)},
		"owner of the token": {Subject{Name: "alice"}, concat(anyone, ownAccount, "AccountService/DeleteToken")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			for _, m := range every {
				n, err := PermissionFor("/flotilla.v1."+m, fixtures[m], look)
				if err != nil {
					t.Fatal(err)
				}
				got := e.Authorize(tt.s, n) == nil
				if want := slices.Contains(tt.allowed, m); got != want {
					t.Errorf("%s: allowed %v, want %v (%+v)", m, got, want, n)
				}
			}
		})
	}
}

func concat(lists ...any) []string {
	var out []string
	for _, l := range lists {
		switch l := l.(type) {
		case []string:
			out = append(out, l...)
		case string:
			out = append(out, l)
		}
	}
	return out
}

func TestFixturesCoverEveryMethod(t *testing.T) {
	for m := range adminMethods(t) {
		if _, ok := fixtures[strings.TrimPrefix(m, "/flotilla.v1.")]; !ok {
			t.Errorf("no fixture for %s", m)
		}
	}
	if len(fixtures) != len(adminMethods(t)) {
		t.Errorf("%d fixtures for %d methods", len(fixtures), len(adminMethods(t)))
	}
}

func TestAuthorize(t *testing.T) {
	e := mustNew(t, matrixPolicy, "")
	ci := Subject{Name: "proj:team-a:ci"}
	if err := e.Authorize(Subject{}, Need{Access: Authenticated}); err != ErrUnauthenticated {
		t.Errorf("no name: %v", err)
	}
	if err := e.Authorize(Subject{}, Need{Access: Open}); err != nil {
		t.Errorf("open: %v", err)
	}
	if err := e.Authorize(Subject{Name: "admin"}, Need{}); err == nil {
		t.Error("a zero Need was allowed")
	}
	if err := e.Authorize(Subject{Name: "admin"}, Need{Access: Check}); err == nil {
		t.Error("a check without permissions was allowed")
	}
	err := e.Authorize(ci, self("update"))
	if err == nil || err.Error() != "permission denied: accounts, update, proj:team-a:ci" {
		t.Errorf("project role minting its own token: %v", err)
	}
	if err := e.Authorize(ci, owned("update", "proj:team-a:ci")); err == nil {
		t.Error("a project role was its own owner")
	}
	// Giving roles: only roles one holds, or any with role:admin.
	mgr := mustNew(t, matrixPolicy+"p, role:account-manager, accounts, create, *, allow\ng, managers, role:account-manager\n", "")
	create := func(roles ...string) Need {
		n, err := PermissionFor("/flotilla.v1.AccountService/CreateAccount", &pb.CreateAccountRequest{Name: "new", Roles: roles}, look)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	manager := Subject{Name: "m", Groups: []string{"managers", "my-org:team-a"}}
	for roles, want := range map[string]string{
		"":                         "",
		"team-a-dev":               "",
		"role:account-manager":     "",
		"admin":                    "permission denied: roles, give, role:admin",
		"team-a-dev,role:readonly": "permission denied: roles, give, role:readonly",
	} {
		var rs []string
		if roles != "" {
			rs = strings.Split(roles, ",")
		}
		err := mgr.Authorize(manager, create(rs...))
		if (err == nil) != (want == "") || (err != nil && err.Error() != want) {
			t.Errorf("giving %q: %v, want %q", roles, err, want)
		}
	}
	if err := mgr.Authorize(Subject{Name: "root", Roles: []string{"admin"}}, create("team-a-dev", "readonly", "admin")); err != nil {
		t.Errorf("role:admin giving roles: %v", err)
	}
	if err := mgr.Authorize(Subject{Name: "admin"}, create("admin")); err != nil {
		t.Errorf("admin token giving admin: %v", err)
	}
	if mgr.Holds(ci, "readonly") || mgr.Holds(Subject{Name: "role:admin"}, "admin") {
		t.Error("a project role or a name posing as a role holds roles")
	}

	// The first refused permission is named.
	err = e.Authorize(Subject{Name: "carol", Groups: []string{"my-org:team-a"}},
		check(p("applications", "update", "team-a/x"), p("applications", "update", "team-b/x")))
	if err == nil || err.Error() != "permission denied: applications, update, team-b/x" {
		t.Errorf("move to another project: %v", err)
	}
}
