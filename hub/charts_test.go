package hub

import (
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func webChart(r *helmtest.Repo, t *testing.T, version string) {
	r.Add(t, "web", version, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: {{ .Chart.Version | quote }}, greeting: {{ .Values.greeting | quote }}}\n"},
		"greeting: hello\n")
}

// A chart of a Helm repository (basic auth) under a semver constraint:
// the highest matching version is planned, shown as the target's
// revision; a new matching version rolls out, one outside the constraint
// does not; a constraint nothing matches, a missing chart and an
// unreachable repository are errors on the target, and the plan that runs
// stays.
func TestChartFromHelmRepository(t *testing.T) {
	repo := helmtest.Serve(t, "user", "pass")
	for _, v := range []string{"1.0.0", "1.0.1", "1.1.0"} {
		webChart(repo, t, v)
	}
	e := start(t)
	if _, err := pb.NewRepositoryServiceClient(e.conn).AddRepository(e.admin, &pb.AddRepositoryRequest{Repository: &pb.Repository{
		Url: repo.URL, Type: "helm", Username: "user", Password: "pass"}}); err != nil {
		t.Fatal(err)
	}
	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	app := &pb.Application{Name: "web", Source: &pb.ApplicationSource{RepoUrl: repo.URL, Chart: "web", TargetRevision: "~1.0",
		Helm: &pb.HelmSource{Values: "greeting: hi\n"}},
		Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "web"}, SyncPolicy: &pb.SyncPolicy{Automated: true}}
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: app}); err != nil {
		t.Fatal(err)
	}
	sp, err := e.connect(added.GetToken(), &pb.Hello{KubeVersion: "v1.37.2"})
	if err != nil {
		t.Fatal(err)
	}
	first := sp.nextPlan().GetPlan()
	if got := strings.Join(objectNames(t, first), ","); got != "apply ConfigMap/web 1.0.1" || first.GetRevision() != "1.0.1" {
		t.Fatalf("first plan: %s at %s, want ConfigMap web 1.0.1", got, first.GetRevision())
	}
	for _, o := range first.GetObjects() {
		if !strings.Contains(string(o), `"greeting":"hi"`) {
			t.Errorf("inline values not applied: %s", o)
		}
	}
	webChart(repo, t, "1.0.2")
	webChart(repo, t, "1.2.0")
	e.hub.Controller.Refresh(e.admin, repo.URL)
	if p := sp.nextPlan().GetPlan(); p.GetRevision() != "1.0.2" {
		t.Fatalf("after 1.0.2 and 1.2.0 were published: %s, want 1.0.2 (~1.0)", p.GetRevision())
	}
	h, err := apps.ListHistory(e.admin, &pb.ListHistoryRequest{Name: "web"})
	if err != nil || len(h.GetEntries()) == 0 || !strings.HasPrefix(h.GetEntries()[len(h.GetEntries())-1].GetSourceDigest(), "sha256:") {
		t.Errorf("history does not record the chart's digest: %v %v", h.GetEntries(), err)
	}
	pulls := repo.Pulls.Load()
	got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", HardRefresh: true})
	if err != nil || got.GetTargets()[0].GetRevision() != "1.0.2" {
		t.Fatalf("target revision %v (%v), want the chart version 1.0.2", got.GetTargets(), err)
	}
	if repo.Pulls.Load() != pulls {
		t.Errorf("a hard refresh pulled the same chart again (%d → %d): charts are cached by digest", pulls, repo.Pulls.Load())
	}
	// The chart cache's GC keeps what runs and what history names (1.0.1, 1.0.2).
	if n, err := e.hub.Controller.ChartGC(0); err != nil || n != 0 {
		t.Errorf("chart GC freed %d (%v) while 1.0.1 and 1.0.2 are in history, want 0", n, err)
	}
	for what, src := range map[string]*pb.ApplicationSource{
		`no version matches "~9"`: {RepoUrl: repo.URL, Chart: "web", TargetRevision: "~9"},
		`no chart "nope"`:         {RepoUrl: repo.URL, Chart: "nope"},
		"127.0.0.1:1":             {RepoUrl: "http://127.0.0.1:1/charts", Chart: "web"},
	} {
		bad := &pb.Application{Name: "web", Source: src, Destination: app.GetDestination(), SyncPolicy: app.GetSyncPolicy()}
		if _, err := apps.UpdateApplication(e.admin, &pb.UpdateApplicationRequest{Application: bad}); err != nil {
			t.Fatal(err)
		}
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true})
		if err != nil {
			t.Fatal(err)
		}
		ts := got.GetTargets()[0]
		if !strings.Contains(ts.GetError(), what) || ts.GetOperation().GetRevision() != "1.0.2" {
			t.Errorf("%s: target error %q at %s; want the error, 1.0.2 still running", what, ts.GetError(), ts.GetOperation().GetRevision())
		}
	}
	if _, err := apps.DeleteApplication(e.admin, &pb.DeleteApplicationRequest{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.hub.Controller.ChartGC(0); err != nil || n != 2 {
		t.Errorf("chart GC after the application went: freed %d (%v), want 2 (1.0.1 and 1.0.2)", n, err)
	}
}

// A chart's render is kept in the store: after a restart on the same data
// directory, a refresh plans from it without rendering again.
func TestChartRenderSurvivesRestart(t *testing.T) {
	repo := helmtest.Serve(t, "", "")
	webChart(repo, t, "1.0.0")
	gs, url := gitRepo(t)
	cfg := testConfig(t)
	e, stop := launch(t, cfg, gs, url)
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	app := &pb.Application{Name: "web", Source: &pb.ApplicationSource{RepoUrl: repo.URL, Chart: "web"},
		Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "web"}}
	if _, err := pb.NewApplicationServiceClient(e.conn).CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: app}); err != nil {
		t.Fatal(err)
	}
	got, err := pb.NewApplicationServiceClient(e.conn).GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true})
	if err != nil || got.GetTargets()[0].GetRevision() != "1.0.0" || got.GetTargets()[0].GetError() != "" {
		t.Fatalf("before the restart: %v %v", got.GetTargets(), err)
	}
	if renders, _, _ := e.hub.Controller.Stats.Snapshot(); renders == 0 {
		t.Fatal("the chart was never rendered")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e2, stop2 := launch(t, cfg, gs, url)
	t.Cleanup(func() {
		if err := stop2(); err != nil {
			t.Error(err)
		}
	})
	got, err = pb.NewApplicationServiceClient(e2.conn).GetApplication(e2.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true})
	if err != nil || got.GetTargets()[0].GetRevision() != "1.0.0" || got.GetTargets()[0].GetError() != "" {
		t.Fatalf("after the restart: %v %v", got.GetTargets(), err)
	}
	if renders, reuses, _ := e2.hub.Controller.Stats.Snapshot(); renders != 0 || reuses == 0 {
		t.Errorf("after a restart: %d renders, %d reuses; want the stored render re-used", renders, reuses)
	}
}

// An OCI registry's index has no digests: the digest the chart cache
// found in the pulled archive is the one history records and the chart
// GC keeps.
func TestOCIChartDigestInHistory(t *testing.T) {
	reg := helmtest.ServeOCI(t, "bot", "s3cret")
	reg.Push(t, "web", "1.0.0", map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: {{ .Chart.Version | quote }}}\n"}, "")
	e := start(t)
	if _, err := pb.NewRepositoryServiceClient(e.conn).AddRepository(e.admin, &pb.AddRepositoryRequest{Repository: &pb.Repository{
		Url: reg.URL, Type: "oci", Username: "bot", Password: "s3cret"}}); err != nil {
		t.Fatal(err)
	}
	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "web",
		Source:      &pb.ApplicationSource{RepoUrl: reg.URL, Chart: "web", TargetRevision: "1.0.0"},
		Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "web"}, SyncPolicy: &pb.SyncPolicy{Automated: true}}}); err != nil {
		t.Fatal(err)
	}
	sp, err := e.connect(added.GetToken(), &pb.Hello{KubeVersion: "v1.37.2"})
	if err != nil {
		t.Fatal(err)
	}
	if p := sp.nextPlan().GetPlan(); p.GetRevision() != "1.0.0" {
		t.Fatalf("plan at %s", p.GetRevision())
	}
	h, err := apps.ListHistory(e.admin, &pb.ListHistoryRequest{Name: "web"})
	if err != nil || len(h.GetEntries()) == 0 || !strings.HasPrefix(h.GetEntries()[len(h.GetEntries())-1].GetSourceDigest(), "sha256:") {
		t.Fatalf("history does not record the OCI chart's digest: %v %v", h.GetEntries(), err)
	}
	if n, err := e.hub.Controller.ChartGC(0); err != nil || n != 0 {
		t.Errorf("chart GC freed %d (%v) while the chart runs", n, err)
	}
}
