package hub

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

const testPolicy = `# developers of team-a
p, role:dev, applications, get, team-a/*, allow
p, role:dev, applications, sync, team-a/*, allow
p, role:dev, applications, sync, team-a/frozen, deny
p, proj:team-a:ci, applications, sync, team-a/*, allow
p, proj:team-a:ci, applications, get, team-a/*, allow
`

// RBAC on the admin API, through the hub's interceptor: each caller is
// allowed what the policy says and refused the rest with the permission
// named; lists show only what the caller may get; a project role's token
// stays in its project; Apply refuses document by document.
func TestRBACOnTheAdminAPI(t *testing.T) {
	e := startWithPolicy(t, testPolicy)
	apps := pb.NewApplicationServiceClient(e.conn)
	acc := pb.NewAccountServiceClient(e.conn)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team-a",
		SourceRepos: []string{"*"}, Destinations: []*pb.ProjectDestination{{Namespace: "*", Cluster: "*"}}}}))
	for _, a := range []struct{ name, project string }{{"shop", "team-a"}, {"frozen", "team-a"}, {"billing", ""}} {
		must(apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: a.name, Project: a.project,
			Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "web"}, Destination: &pb.Destination{ClusterSelector: map[string]string{"env": "prod"}, Namespace: a.name}}}))
	}
	ro, dev, nobody := e.session(t, "ro", "readonly"), e.session(t, "dev", "dev"), e.session(t, "nobody")
	ci, err := acc.CreateToken(e.admin, &pb.CreateTokenRequest{Project: "team-a", Role: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	proj := bearerCtx(ci.GetToken())

	visible := func(ctx context.Context) string {
		t.Helper()
		r, err := apps.ListApplications(ctx, &pb.ListApplicationsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range r.GetApplications() {
			names = append(names, a.GetApplication().GetName())
		}
		sort.Strings(names)
		return strings.Join(names, ",")
	}
	for who, want := range map[string]string{"admin": "billing,frozen,shop", "ro": "billing,frozen,shop", "dev": "frozen,shop", "nobody": "", "proj:team-a:ci": "frozen,shop"} {
		ctx := map[string]context.Context{"admin": e.admin, "ro": ro, "dev": dev, "nobody": nobody, "proj:team-a:ci": proj}[who]
		if got := visible(ctx); got != want {
			t.Errorf("%s lists %q, want %q", who, got, want)
		}
	}

	sync := func(ctx context.Context, app string) error {
		_, err := apps.SyncApplication(ctx, &pb.SyncApplicationRequest{Name: app})
		return err
	}
	for _, c := range []struct {
		who    string
		ctx    context.Context
		app    string
		denied string // the permission named, or "" when RBAC lets it through
	}{
		{"ro", ro, "shop", "applications, sync, team-a/shop"},
		{"dev", dev, "shop", ""},
		{"dev", dev, "frozen", "applications, sync, team-a/frozen"},
		{"dev", dev, "billing", "applications, sync, default/billing"},
		{"nobody", nobody, "shop", "applications, sync, team-a/shop"},
		{"proj:team-a:ci", proj, "shop", ""},
		{"proj:team-a:ci", proj, "billing", "applications, sync, default/billing"},
	} {
		err := sync(c.ctx, c.app)
		switch {
		case c.denied == "" && code(err) == codes.PermissionDenied:
			t.Errorf("%s syncing %s: %v, want it let through", c.who, c.app, err)
		case c.denied != "" && (code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "permission denied: "+c.denied)):
			t.Errorf("%s syncing %s: %v, want PermissionDenied naming %q", c.who, c.app, err, c.denied)
		}
	}
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(dev, &pb.AddClusterRequest{Name: "east"}); !strings.Contains(errText(err), "permission denied: clusters, create, east") {
		t.Errorf("dev adding a cluster: %v", err)
	}
	if _, err := apps.ListApplications(context.Background(), &pb.ListApplicationsRequest{}); code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v, want Unauthenticated", err)
	}
	for ctx, want := range map[context.Context]bool{dev: true, ro: false} {
		r, err := acc.CanI(ctx, &pb.CanIRequest{Action: "sync", Resource: "applications", Object: "team-a/shop"})
		if err != nil || r.GetAllowed() != want {
			t.Errorf("can-i sync team-a/shop: %v, %v; want %v", r, err, want)
		}
	}
	if _, err := acc.CreateAccount(e.admin, &pb.CreateAccountRequest{Name: "x", Password: "password-x", Roles: []string{"ghost"}}); code(err) != codes.InvalidArgument {
		t.Errorf("an account with a role no policy defines: %v, want InvalidArgument", err)
	}

	// Apply: dev may change team-a's applications it can... nothing: the
	// policy gives it no update. Each document is refused on its own.
	doc := "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: shop}\nspec:\n  project: team-a\n  source: {repoURL: " + e.repoURL +
		", path: web}\n  destination: {namespace: shop, server: https://kubernetes.default.svc}\n"
	r, err := pb.NewConfigServiceClient(e.conn).Apply(dev, &pb.ApplyRequest{Documents: []*pb.ApplyDocument{{File: "shop.yaml", Content: doc}}})
	if err != nil || len(r.GetResults()) != 1 || r.GetResults()[0].GetAction() != "refused" ||
		!strings.Contains(r.GetResults()[0].GetError(), "permission denied: applications, update, team-a/shop") {
		t.Errorf("dev applying shop: %v, %v; want refused naming applications, update, team-a/shop", r, err)
	}
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// startWithPolicy starts a hub with an RBAC policy file.
func startWithPolicy(t *testing.T, policy string) *env {
	t.Helper()
	return startWith(t, func(c *Config) {
		c.RBACPolicyFile = filepath.Join(t.TempDir(), "policy.csv")
		if err := os.WriteFile(c.RBACPolicyFile, []byte(policy), 0o600); err != nil {
			t.Fatal(err)
		}
	})
}

// session creates a local user with roles and returns a context with the
// session its password login gives.
func (e *env) session(t *testing.T, name string, roles ...string) context.Context {
	t.Helper()
	acc := pb.NewAccountServiceClient(e.conn)
	if _, err := acc.CreateAccount(e.admin, &pb.CreateAccountRequest{Name: name, Password: "password-" + name, Roles: roles}); err != nil {
		t.Fatal(err)
	}
	r, err := acc.Login(context.Background(), &pb.LoginRequest{Username: name, Password: "password-" + name})
	if err != nil {
		t.Fatal(err)
	}
	return bearerCtx(r.GetToken())
}
