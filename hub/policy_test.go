package hub

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// teamProject creates project team (destinations *:team-a, nothing
// cluster-scoped) and cluster east, and returns a function that creates
// an application of the project from path, with options, and returns its
// target's error after a refresh; and east's spoke token.
func teamProject(t *testing.T, e *env) (func(name, path string, opts map[string]string) string, string) {
	t.Helper()
	if _, err := pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team", SourceRepos: []string{"*"},
		Destinations: []*pb.ProjectDestination{{Cluster: "*", Namespace: "team-a"}}}}); err != nil {
		t.Fatal(err)
	}
	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	return func(name, path string, opts map[string]string) string {
		t.Helper()
		_, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: name, Project: "team",
			Source:      &pb.ApplicationSource{RepoUrl: e.repoURL, Path: path},
			Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "team-a"},
			SyncPolicy:  &pb.SyncPolicy{Options: opts}}})
		if err != nil {
			t.Fatal(err)
		}
		return targetError(t, e, name)
	}, added.GetToken()
}

func targetError(t *testing.T, e *env, app string) string {
	t.Helper()
	got, err := pb.NewApplicationServiceClient(e.conn).GetApplication(e.admin, &pb.GetApplicationRequest{Name: app, Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetTargets()) != 1 {
		t.Fatalf("%s: targets %v, want one", app, got.GetTargets())
	}
	return got.GetTargets()[0].GetError()
}

const (
	crbHook = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: pwn
  annotations: {argocd.argoproj.io/hook: PreSync}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: default, namespace: team-a}]
`
	jobHook = `apiVersion: batch/v1
kind: Job
metadata:
  name: escape
  namespace: kube-system
  annotations: {argocd.argoproj.io/hook: %s}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`
	helmHookChart = "apiVersion: v2\nname: c\nversion: 0.1.0\n"
	helmHook      = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: helm-hook
  annotations: {helm.sh/hook: pre-install}
rules: []
`
	widgetYAML = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\n"
)

// Every object of a plan is checked against the project, hooks of every
// phase (Argo CD's and Helm's) and the namespace CreateNamespace adds
// included; the refusal names the object and the rule, and no plan is
// made.
func TestProjectRulesHoldForEveryObject(t *testing.T) {
	e := start(t)
	e.commit("hostile", map[string]string{
		"presync/crb.yaml":       crbHook,
		"sync/job.yaml":          strings.Replace(jobHook, "%s", "Sync", 1),
		"syncfail/job.yaml":      strings.Replace(jobHook, "%s", "SyncFail", 1),
		"helm/Chart.yaml":        helmHookChart,
		"helm/templates/cr.yaml": helmHook,
		"ns/cm.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: elsewhere}\n",
		"fine/cm.yaml":           "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	})
	create, _ := teamProject(t, e)
	for name, tc := range map[string]struct {
		path string
		opts map[string]string
		want string
	}{
		"presync-crb":  {"presync", nil, "PreSync hook ClusterRoleBinding pwn: not permitted by the project team: cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not in clusterResourceWhitelist"},
		"sync-job":     {"sync", nil, `Sync hook Job kube-system/escape: not permitted by the project team: namespace "kube-system" is not one of the project's destinations`},
		"syncfail-job": {"syncfail", nil, "SyncFail hook Job kube-system/escape"},
		"helm-hook":    {"helm", nil, "PreSync hook ClusterRole helm-hook"},
		"namespace":    {"ns", nil, `ConfigMap elsewhere/c: not permitted by the project team: namespace "elsewhere"`},
	} {
		if got := create(name, tc.path, tc.opts); !strings.Contains(got, tc.want) {
			t.Errorf("%s: target error %q, want %q", name, got, tc.want)
		}
	}
	if got := create("fine", "fine", nil); got != "" {
		t.Errorf("fine: target error %q, want none", got)
	}
}

// The Namespace CreateNamespace adds must be a destination of the project.
func TestCreateNamespaceChecked(t *testing.T) {
	e := start(t)
	e.commit("app", map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"})
	if _, err := pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team", SourceRepos: []string{"*"},
		Destinations: []*pb.ProjectDestination{{Cluster: "*", Namespace: "team-a"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	_, err := pb.NewApplicationServiceClient(e.conn).CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "ns", Project: "team",
		Source:      &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "app"},
		Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "kube-public"},
		SyncPolicy:  &pb.SyncPolicy{Options: map[string]string{"CreateNamespace": "true"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got := targetError(t, e, "ns")
	for _, want := range []string{`Namespace kube-public (CreateNamespace): not permitted by the project team`, `ConfigMap kube-public/c`} {
		if !strings.Contains(got, want) {
			t.Errorf("target error %q, want %q", got, want)
		}
	}
}

// A custom kind is placed by the cluster's discovery, not guessed: before
// the spoke reported it, the target is held with a message; once the
// spoke says the kind is cluster-scoped, the project's whitelist refuses
// it; a plan made on a cluster serving it namespaced carries the rules.
func TestCustomKindScopeFromDiscovery(t *testing.T) {
	e := start(t)
	e.commit("widget", map[string]string{"app/w.yaml": widgetYAML})
	create, tok := teamProject(t, e)
	if got := create("widget", "app", nil); !strings.Contains(got, "Widget w1 (kind example.com/v1/Widget)") || !strings.Contains(got, "has not reported the kinds it serves yet") {
		t.Fatalf("before discovery: target error %q, want the kind held", got)
	}
	kinds := []*pb.ServedKind{{Group: "", Kind: "ConfigMap", Namespaced: true}, {Group: "example.com", Kind: "Widget"}}
	if _, err := e.connect(tok, &pb.Hello{AgentVersion: "test", Kinds: kinds}); err != nil {
		t.Fatal(err)
	}
	want := "Widget w1: not permitted by the project team: cluster-scoped kind example.com/Widget is not in clusterResourceWhitelist"
	waitFor(t, func() bool { return strings.Contains(targetError(t, e, "widget"), want) }, "the target refused as cluster-scoped: "+want)
}

// A rollback runs an earlier plan under today's project rules: once the
// project no longer allows what that plan deploys, the rollback is
// refused naming the object and the rule, and nothing is assigned.
func TestRollbackRechecksTodaysRules(t *testing.T) {
	e := start(t)
	e.commit("v1", map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"})
	create, _ := teamProject(t, e)
	if got := create("web", "app", nil); got != "" {
		t.Fatalf("target error %q", got)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	if _, err := apps.SyncApplication(e.admin, &pb.SyncApplicationRequest{Name: "web"}); err != nil {
		t.Fatal(err)
	}
	hist, err := apps.ListHistory(e.admin, &pb.ListHistoryRequest{Name: "web"})
	if err != nil || len(hist.GetEntries()) != 1 {
		t.Fatalf("history %v %v, want one entry", hist, err)
	}
	id := hist.GetEntries()[0].GetId()
	// The project moves to another namespace.
	if _, err := pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Upsert: true, Project: &pb.Project{Name: "team",
		SourceRepos: []string{"*"}, Destinations: []*pb.ProjectDestination{{Cluster: "*", Namespace: "team-b"}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = apps.RollbackApplication(e.admin, &pb.RollbackApplicationRequest{Name: "web", HistoryId: id})
	if want := `ConfigMap team-a/c: not permitted by the project team: namespace "team-a" is not one of the project's destinations [team-b]`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("rollback: %v, want refused with %q", err, want)
	}
	if hist, err = apps.ListHistory(e.admin, &pb.ListHistoryRequest{Name: "web"}); err != nil || len(hist.GetEntries()) != 1 {
		t.Fatalf("history after the refused rollback: %v %v, want the one entry", hist, err)
	}
	// Widened again (team-*): the rollback runs, carrying today's rules.
	if _, err := pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Upsert: true, Project: &pb.Project{Name: "team",
		SourceRepos: []string{"*"}, Destinations: []*pb.ProjectDestination{{Cluster: "*", Namespace: "team-*"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.RollbackApplication(e.admin, &pb.RollbackApplicationRequest{Name: "web", HistoryId: id}); err != nil {
		t.Fatal(err)
	}
	d, err := e.hub.Store.GetDesired("web", "east")
	if err != nil {
		t.Fatal(err)
	}
	assigned, err := e.hub.Store.GetPlan(d.PlanHash)
	if err != nil {
		t.Fatal(err)
	}
	if ns := assigned.GetRules().GetNamespaces(); len(ns) != 1 || ns[0] != "team-*" {
		t.Errorf("the rolled-back plan carries rules %v, want today's (team-*)", assigned.GetRules())
	}
	if d.PlanHash == hist.GetEntries()[0].GetPlanHash() {
		t.Error("the rolled-back plan kept its hash although its rules changed")
	}
}

// A sync option the hub would not honour is refused when the application
// is created or updated, naming it: never accepted and ignored.
func TestSyncOptionsValidated(t *testing.T) {
	e := start(t)
	apps := pb.NewApplicationServiceClient(e.conn)
	for kv, want := range map[string]string{
		"Replace=banana":                  `sync option "Replace=banana": want Replace=true|false`,
		"Frobnicate=true":                 `unknown option "Frobnicate"`,
		"PrunePropagationPolicy=sideways": "PrunePropagationPolicy=background|foreground|orphan",
	} {
		k, v, _ := strings.Cut(kv, "=")
		_, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "opts",
			Source:      &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "app"},
			Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "x"},
			SyncPolicy:  &pb.SyncPolicy{Options: map[string]string{k: v}}}})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "application opts: syncPolicy.options: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want InvalidArgument saying %q", kv, err, want)
		}
	}
}
