package hub

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

const escalationPolicy = `p, role:accounts, accounts, *, *, allow
p, role:dev, applications, get, team-a/*, allow
p, role:dev, applications, sync, team-a/*, allow
p, role:dev, applicationsets, *, team-a/*, allow
g, ops, role:admin
`

// Ways around the policy that are closed: managing accounts gives no
// role one does not hold (creating an account the policy names, giving a
// role, taking over an account with roles, rotating the admin token); a
// sync to a chosen revision needs override; an ApplicationSet allowed in
// team-a cannot have a generator put its applications elsewhere; a
// deleted project's role tokens end with it; a plan shown to readonly
// masks its Secrets; a plan is asked only of the application's clusters.
func TestRBACEscalations(t *testing.T) {
	e := startWithPolicy(t, escalationPolicy)
	acc := pb.NewAccountServiceClient(e.conn)
	mgr, dev, ro := e.session(t, "mgr", "accounts"), e.session(t, "dev", "dev"), e.session(t, "ro", "readonly")
	e.session(t, "boss", "admin")
	denied := func(what string, err error, permission string) {
		t.Helper()
		if code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "permission denied: "+permission) {
			t.Errorf("%s: %v, want PermissionDenied naming %q", what, err, permission)
		}
	}
	_, err := acc.CreateAccount(mgr, &pb.CreateAccountRequest{Name: "ops", Password: "password-ops"})
	denied("mgr creating ops, whom the policy makes admin", err, "roles, give, admin")
	_, err = acc.CreateAccount(mgr, &pb.CreateAccountRequest{Name: "x", Password: "password-x", Roles: []string{"admin"}})
	denied("mgr creating an admin", err, "roles, give, role:admin")
	_, err = acc.UpdatePassword(mgr, &pb.UpdatePasswordRequest{Name: "boss", NewPassword: "taken over"})
	denied("mgr setting an admin's password", err, "roles, give, role:admin")
	_, err = acc.CreateToken(mgr, &pb.CreateTokenRequest{Account: "boss"})
	denied("mgr minting an admin's token", err, "roles, give, role:admin")
	_, err = acc.RotateAdminToken(mgr, &pb.RotateAdminTokenRequest{})
	denied("mgr rotating the admin token", err, "roles, give, admin")
	if _, err := acc.CreateAccount(mgr, &pb.CreateAccountRequest{Name: "plain", Password: "password-plain"}); err != nil {
		t.Errorf("mgr creating an account without roles: %v", err)
	}

	_, apps := e.webOnEast(t, nil)
	_, err = apps.SyncApplication(ro, &pb.SyncApplicationRequest{Name: "web"})
	denied("readonly syncing", err, "applications, sync, default/web")

	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team-a",
		SourceRepos: []string{"*"}, Destinations: []*pb.ProjectDestination{{Namespace: "*", Cluster: "*"}}}}))
	must(apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "shop", Project: "team-a",
		Source: &pb.ApplicationSource{RepoUrl: e.repoURL, TargetRevision: "main", Path: "web"}, Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "shop"}}}))
	_, err = apps.SyncApplication(dev, &pb.SyncApplicationRequest{Name: "shop", Revision: "0123456789abcdef0123456789abcdef01234567"})
	denied("dev syncing to a revision of its choosing", err, "applications, override, team-a/shop")

	set := `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: escape}
spec:
  generators:
  - list:
      elements: [{name: evil}]
      template: {spec: {project: team-b}}
  template:
    metadata: {name: '{{name}}'}
    spec:
      project: team-a
      source: {repoURL: ` + e.repoURL + `, path: web}
      destination: {namespace: x, name: east}
`
	r, err := pb.NewConfigServiceClient(e.conn).Apply(dev, &pb.ApplyRequest{Documents: []*pb.ApplyDocument{{File: "set.yaml", Content: set}}})
	if err != nil || len(r.GetResults()) != 1 || !strings.Contains(r.GetResults()[0].GetError(), "permission denied: applicationsets, create, */escape") {
		t.Errorf("dev applying a set whose generator picks another project: %v, %v", r, err)
	}

	ci, err := acc.CreateToken(e.admin, &pb.CreateTokenRequest{Project: "team-a", Role: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	must(apps.DeleteApplication(e.admin, &pb.DeleteApplicationRequest{Name: "shop"}))
	must(pb.NewProjectServiceClient(e.conn).DeleteProject(e.admin, &pb.DeleteProjectRequest{Name: "team-a"}))
	if _, err := acc.GetUserInfo(bearerCtx(ci.GetToken()), &pb.GetUserInfoRequest{}); code(err) != codes.Unauthenticated {
		t.Errorf("a deleted project's role token: %v, want Unauthenticated", err)
	}

	// A plan at the commit itself: the hub fetches a revision it does not
	// have yet, so there is nothing to wait for.
	sha := e.commit("a secret", map[string]string{"web/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n"})
	p, err := apps.GetPlan(ro, &pb.GetPlanRequest{Name: "web", Cluster: "east", Revision: sha})
	if err != nil {
		t.Fatalf("readonly asking for the plan: %v", err)
	}
	var all string
	for _, o := range p.GetPlan().GetObjects() {
		all += string(o)
	}
	if strings.Contains(all, "hunter2") || strings.Contains(all, "aHVudGVyMg") {
		t.Fatalf("the plan shown to readonly holds the Secret's value")
	}
	if !strings.Contains(all, `"password":"+`) {
		t.Fatalf("no masked Secret in the plan at %s: %s", sha, all)
	}
	if _, err := apps.GetPlan(e.admin, &pb.GetPlanRequest{Name: "web", Cluster: "west"}); code(err) != codes.NotFound {
		t.Errorf("a plan for a cluster the application does not target: %v, want NotFound", err)
	}
}

// A default-project parent created through the API declares applications
// of the default project only: whoever may create applications there
// must not declare projects, or applications in other projects, through
// it (only the configuration repository's may).
func TestAPIParentStaysInDefaultProject(t *testing.T) {
	e := start(t)
	e.commit("children", map[string]string{
		"apps/project.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: mine}\nspec: {sourceRepos: ['*']}\n",
		"apps/child.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: child.web}
spec:
  source: {repoURL: https://git.example.com/web.git, path: web}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`})
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "root",
		Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "apps"}, Destination: &pb.Destination{Clusters: []string{"east"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "root"}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "child.web"}); err != nil {
		t.Fatalf("the default-project child: %v", err)
	}
	if _, err := pb.NewProjectServiceClient(e.conn).GetProject(e.admin, &pb.GetProjectRequest{Name: "mine"}); code(err) != codes.NotFound {
		t.Fatalf("an API parent declared project mine: %v", err)
	}
	r, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "root"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range r.GetConditions() {
		found = found || strings.Contains(c.GetMessage(), "declared Project mine")
	}
	if !found {
		t.Errorf("root's conditions do not say why mine was refused: %v", r.GetConditions())
	}
}
