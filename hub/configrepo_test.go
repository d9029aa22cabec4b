package hub

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func configApp(name, path string) string {
	return `apiVersion: flotilla.dev/v1alpha1
kind: Application
metadata: {name: ` + name + `}
spec:
  project: team-a
  source: {repoUrl: https://git.example.com/apps.git, path: ` + path + `}
  destination: {clusters: [east], namespace: web}
`
}

// --config-repo makes the hub's configuration declarative: what the
// configuration repository holds is declared, marked as Git's (the API
// refuses to change it unless forced), and what leaves Git is deleted.
func TestConfigRepository(t *testing.T) {
	gs, url := gitRepo(t)
	if _, err := gs.Commit("apps", "main", "hub configuration", map[string]string{
		"hub/project.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: team-a}\nspec:\n  sourceRepos: ['*']\n  destinations: [{name: '*', namespace: '*'}]\n",
		"hub/apps.yaml":    configApp("web.one", "one") + "---\n" + configApp("web.two", "two"),
		"README.md":        "not read: outside --config-path\n",
	}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.ConfigRepo, cfg.ConfigPath, cfg.ConfigRevision = url, "hub", "main"
	e, stop := launch(t, cfg, gs, url)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	apps := pb.NewApplicationServiceClient(e.conn)
	get := func(name string) (*pb.Application, error) {
		r, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: name})
		return r.GetApplication(), err
	}
	waitFor(t, func() bool { _, err := get("web.two"); return err == nil }, "web.one and web.two declared")
	one, err := get("web.one")
	if err != nil {
		t.Fatal(err)
	}
	if m := one.GetManagedBy(); m.GetKind() != "Application" || m.GetName() != controller.ConfigAppName || m.GetPath() != "hub" || len(m.GetRevision()) != 40 {
		t.Errorf("web.one managedBy %v: want the configuration application at a commit, path hub", m)
	}
	root, err := get(controller.ConfigAppName)
	if err != nil || root.GetManagedBy().GetKind() != "ConfigRepository" {
		t.Fatalf("%s: %v, managedBy %v", controller.ConfigAppName, err, root.GetManagedBy())
	}
	p, err := pb.NewProjectServiceClient(e.conn).GetProject(e.admin, &pb.GetProjectRequest{Name: "team-a"})
	if err != nil || p.GetProject().GetManagedBy().GetName() != controller.ConfigAppName {
		t.Fatalf("project team-a: %v, %v", err, p.GetProject().GetManagedBy())
	}
	one.Source.Path = "elsewhere"
	_, err = apps.UpdateApplication(e.admin, &pb.UpdateApplicationRequest{Application: one})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "declared in Git by application "+controller.ConfigAppName) {
		t.Fatalf("API change of a Git-declared application: %v", err)
	}
	if _, err := apps.UpdateApplication(e.admin, &pb.UpdateApplicationRequest{Application: one, Force: true}); err != nil {
		t.Fatalf("forced: %v", err)
	}
	// Git wins at its next change, and what leaves Git is deleted.
	if _, err := gs.Commit("apps", "main", "drop web.two", map[string]string{"hub/apps.yaml": configApp("web.one", "one")}); err != nil {
		t.Fatal(err)
	}
	e.hub.Controller.Refresh(e.admin, url)
	if _, err := get("web.two"); status.Code(err) != codes.NotFound {
		t.Errorf("web.two, no longer in Git: %v, want NotFound", err)
	}
	if one, err := get("web.one"); err != nil || one.GetSource().GetPath() != "one" {
		t.Errorf("web.one after Git's next change: path %q (%v), want Git's", one.GetSource().GetPath(), err)
	}
}
