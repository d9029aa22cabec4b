package hub

import (
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func redisChart(r *helmtest.Repo, t *testing.T, version string) {
	r.Add(t, "redis", version, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: redis}\ndata: {v: {{ .Chart.Version | quote }}}\n"}, "")
}

// A chart kept in Git whose dependency comes from a Helm repository under
// a ~ constraint (not vendored: the hub fetches it, as helm dependency
// build), with a values file from a second Git repository (sources, ref,
// $values/...). The application's revision names both commits; a new
// dependency version in the index rolls out once; a change in the values
// repository is a new revision; a dependency the project does not allow
// is an error on the target and what runs stays.
func TestChartDependencyAndValuesFromAnotherRepository(t *testing.T) {
	charts := helmtest.Serve(t, "", "")
	redisChart(charts, t, "2.0.0")
	e := start(t)
	appSHA := e.commit("app chart", map[string]string{
		"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- {name: redis, version: \"~2.0\", repository: \"" + charts.URL + "\"}\n",
		"app/values.yaml":       "greeting: hello\n",
		"app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {v: {{ .Values.greeting | quote }}}\n",
	})
	if err := e.git.Create("values"); err != nil {
		t.Fatal(err)
	}
	valuesURL := strings.Replace(e.repoURL, "/apps.git", "/values.git", 1)
	valSHA, err := e.git.Commit("values", "main", "prod values", map[string]string{"web/prod.yaml": "greeting: from-values\n"})
	if err != nil {
		t.Fatal(err)
	}
	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	app := &pb.Application{Name: "web", Sources: []*pb.ApplicationSource{
		{RepoUrl: e.repoURL, Path: "app", Helm: &pb.HelmSource{ValueFiles: []string{"$values/web/prod.yaml"}}},
		{RepoUrl: valuesURL, Ref: "values"},
	}, Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "web"}, SyncPolicy: &pb.SyncPolicy{Automated: true}}
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: app}); err != nil {
		t.Fatal(err)
	}
	sp, err := e.connect(added.GetToken(), &pb.Hello{KubeVersion: "v1.37.2"})
	if err != nil {
		t.Fatal(err)
	}
	first := sp.nextPlan().GetPlan()
	if got := strings.Join(objectNames(t, first), ","); got != "apply ConfigMap/app from-values,apply ConfigMap/redis 2.0.0" {
		t.Fatalf("first plan: %s", got)
	}
	if want := appSHA + ":" + valSHA; first.GetRevision() != want {
		t.Errorf("revision %s, want both sources' commits %s", first.GetRevision(), want)
	}
	pulls := charts.Pulls.Load()

	redisChart(charts, t, "2.0.1")
	redisChart(charts, t, "3.0.0")
	e.hub.Controller.Refresh(e.admin, charts.URL)
	if got := strings.Join(objectNames(t, sp.nextPlan().GetPlan()), ","); got != "apply ConfigMap/app from-values,apply ConfigMap/redis 2.0.1" {
		t.Fatalf("after redis 2.0.1 and 3.0.0 were published: %s, want redis 2.0.1 (~2.0)", got)
	}
	if charts.Pulls.Load() != pulls+1 {
		t.Errorf("pulls %d → %d: want the new version pulled once", pulls, charts.Pulls.Load())
	}
	// Refreshing again changes nothing; the next plan is the values change.
	e.hub.Controller.Refresh(e.admin, charts.URL)
	e.hub.Controller.Refresh(e.admin, e.repoURL)
	valSHA2, err := e.git.Commit("values", "main", "new greeting", map[string]string{"web/prod.yaml": "greeting: changed\n"})
	if err != nil {
		t.Fatal(err)
	}
	e.hub.Controller.Refresh(e.admin, valuesURL)
	p := sp.nextPlan().GetPlan()
	if got := strings.Join(objectNames(t, p), ","); got != "apply ConfigMap/app changed,apply ConfigMap/redis 2.0.1" || p.GetRevision() != appSHA+":"+valSHA2 {
		t.Fatalf("after the values changed: %s at %s (a second plan for the same dependency?)", got, p.GetRevision())
	}
	if charts.Pulls.Load() != pulls+1 {
		t.Errorf("pulls %d → %d: a cached dependency was pulled again", pulls, charts.Pulls.Load())
	}

	// The project allows only the two Git repositories: the dependency's
	// repository is refused by name, and 2.0.1 keeps running.
	projects := pb.NewProjectServiceClient(e.conn)
	if _, err := projects.CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team", SourceRepos: []string{e.repoURL, valuesURL}}}); err != nil {
		t.Fatal(err)
	}
	app.Project = "team"
	if _, err := apps.UpdateApplication(e.admin, &pb.UpdateApplicationRequest{Application: app}); err != nil {
		t.Fatal(err)
	}
	got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := got.GetTargets()[0]
	if !strings.Contains(ts.GetError(), "dependency redis ("+charts.URL+")") || !strings.Contains(ts.GetError(), "is not in sourceRepos") || ts.GetOperation().GetRevision() != appSHA+":"+valSHA2 {
		t.Errorf("dependency from a repository the project does not allow: error %q, running %s", ts.GetError(), ts.GetOperation().GetRevision())
	}
}
