package declare_test

import (
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

type recorder struct {
	reconciled []string
	removed    []string // app@cluster:cascade
}

func newEngine(t *testing.T) (*declare.Engine, *store.Store, *recorder) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &recorder{}
	e := declare.New(st, declare.Hooks{
		Reconcile: func(a string) { rec.reconciled = append(rec.reconciled, a) },
		Removed: func(cl, app string, cascade bool) {
			rec.removed = append(rec.removed, app+"@"+cl+map[bool]string{true: ":cascade", false: ":keep"}[cascade])
		},
	})
	return e, st, rec
}

func parse(t *testing.T, docs string) []manifest.Object {
	t.Helper()
	objs, errs := manifest.Parse("test.yaml", []byte(docs))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return objs
}

func argoApp(name, path, extra string) string {
	return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ` + name + `
` + extra + `spec:
  source: {repoURL: https://git.example.com/r.git, path: ` + path + `}
  destination: {name: east, namespace: web}
---
`
}

func actions(rs []*pb.ApplyResult) string {
	var out []string
	for _, r := range rs {
		s := r.GetKind() + "/" + r.GetName() + " " + r.GetAction()
		if r.GetError() != "" {
			s += " (" + r.GetError() + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// Apply creates, then finds nothing to change, then updates; a dry run
// says what would change and changes nothing.
func TestApplyCreateUpdateDryRun(t *testing.T) {
	e, st, rec := newEngine(t)
	if got := actions(e.Apply(parse(t, argoApp("example.web", "web", "")), declare.Options{})); got != "Application/example.web created" {
		t.Fatalf("first apply: %s", got)
	}
	if got := actions(e.Apply(parse(t, argoApp("example.web", "web", "")), declare.Options{})); got != "Application/example.web unchanged" {
		t.Fatalf("second apply: %s", got)
	}
	rs := e.Apply(parse(t, argoApp("example.web", "web2", "")), declare.Options{DryRun: true})
	if got := actions(rs); got != "Application/example.web updated" || !strings.Contains(rs[0].GetDiff(), "+    path: web2") {
		t.Fatalf("dry run: %s, diff:\n%s", got, rs[0].GetDiff())
	}
	if a, _ := st.GetApplication("example.web"); a.GetSource().GetPath() != "web" {
		t.Fatalf("a dry run changed the path to %q", a.GetSource().GetPath())
	}
	if len(rec.reconciled) != 1 {
		t.Fatalf("reconciled %v, want once (the create)", rec.reconciled)
	}
}

// What Git declares is refused to the API unless forced, and to another
// declarer always; a declarer adopts what the API created.
func TestOwnership(t *testing.T) {
	e, st, _ := newEngine(t)
	parent := &pb.ManagedBy{Kind: declare.OwnerApplication, Name: "root"}
	other := &pb.ManagedBy{Kind: declare.OwnerApplication, Name: "other"}
	for _, n := range []string{"root", "other"} {
		if err := e.PutApp(&pb.Application{Name: n, Source: &pb.ApplicationSource{RepoUrl: "https://g/r.git"},
			Destination: &pb.Destination{Clusters: []string{"east"}}}, false, false); err != nil {
			t.Fatal(err)
		}
	}
	e.Apply(parse(t, argoApp("child", "a", "")), declare.Options{}) // the API creates it
	if got := actions(e.Apply(parse(t, argoApp("child", "b", "")), declare.Options{Owner: parent})); got != "Application/child updated" {
		t.Fatalf("adoption by Git: %s", got)
	}
	got := actions(e.Apply(parse(t, argoApp("child", "c", "")), declare.Options{}))
	if !strings.Contains(got, "refused") || !strings.Contains(got, "declared in Git by application root") {
		t.Fatalf("API change of a Git-declared child: %s", got)
	}
	if got := actions(e.Apply(parse(t, argoApp("child", "d", "")), declare.Options{Owner: other})); !strings.Contains(got, "already declared by application root") {
		t.Fatalf("a second declarer: %s", got)
	}
	if got := actions(e.Apply(parse(t, argoApp("child", "e", "")), declare.Options{Force: true})); got != "Application/child updated" {
		t.Fatalf("forced: %s", got)
	}
	a, _ := st.GetApplication("child")
	if a.GetManagedBy().GetName() != "root" || a.GetSource().GetPath() != "e" {
		t.Fatalf("after a forced change: managedBy %v path %q; want root's, e", a.GetManagedBy(), a.GetSource().GetPath())
	}
	if err := e.DeleteApp("child", true, false); err == nil || !strings.Contains(err.Error(), "declared in Git") {
		t.Fatalf("API delete of a Git-declared child: %v", err)
	}
	// An application cannot declare itself or its ancestors.
	if got := actions(e.Apply(parse(t, argoApp("root", "x", "")), declare.Options{Owner: &pb.ManagedBy{Kind: declare.OwnerApplication, Name: "child"}})); !strings.Contains(got, "declared by itself") {
		t.Fatalf("a loop: %s", got)
	}
}

// Declare deletes what its owner no longer declares, with resources only
// for the resources finalizer; an incomplete read deletes nothing; two
// documents declaring one name are both refused, and neither deleted.
func TestDeclarePrunes(t *testing.T) {
	e, st, rec := newEngine(t)
	owner := &pb.ManagedBy{Kind: declare.OwnerApplicationSet, Name: "set"}
	fin := "  finalizers: [resources-finalizer.argocd.argoproj.io]\n"
	all := parse(t, argoApp("a", "a", fin)+argoApp("b", "b", "")+argoApp("c", "c", ""))
	if _, err := e.Declare(declare.Declaration{Owner: owner, Objects: all, Complete: true, Cascade: declare.HasResourcesFinalizer}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := st.Reconciled(n, "east", "h", func(*pb.TargetStatus) {}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Declare(declare.Declaration{Owner: owner, Objects: nil, Complete: false, Cascade: declare.HasResourcesFinalizer}); err != nil {
		t.Fatal(err)
	}
	if apps, _ := st.ListApplications(); len(apps) != 3 {
		t.Fatalf("an incomplete declaration deleted applications: %d left", len(apps))
	}
	dup := parse(t, argoApp("c", "c1", "")+argoApp("c", "c2", ""))
	rs, err := e.Declare(declare.Declaration{Owner: owner, Objects: dup, Complete: true, Cascade: declare.HasResourcesFinalizer})
	if err != nil {
		t.Fatal(err)
	}
	got := actions(rs)
	for _, want := range []string{"Application/c refused (Application c is declared 2 times (test.yaml document 1, test.yaml document 2)", "Application/a deleted", "Application/b deleted"} {
		if !strings.Contains(got, want) {
			t.Errorf("results %s: want %q", got, want)
		}
	}
	if _, err := st.GetApplication("c"); err != nil {
		t.Errorf("c, declared twice, was deleted: %v", err)
	}
	if strings.Join(rec.removed, ",") != "a@east:cascade,b@east:keep" {
		t.Errorf("removed %v: want a's resources deleted (finalizer), b's kept", rec.removed)
	}
}

// An AppProject declared in Git keeps who declares it and the fields not
// honoured; the API changes or deletes it only when forced.
func TestProjectDeclaredInGit(t *testing.T) {
	e, st, _ := newEngine(t)
	owner := &pb.ManagedBy{Kind: declare.OwnerConfigRepo, RepoUrl: "https://git.example.com/config.git", Revision: "abc123", Path: "projects"}
	objs := parse(t, `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: team-a, namespace: argocd}
spec:
  sourceRepos: ["*"]
  destinations: [{name: east, namespace: team-a}]
  roles: [{name: ci}]
`)
	rs := e.Apply(objs, declare.Options{Owner: owner})
	if got := actions(rs); got != "Project/team-a created" || len(rs[0].GetWarnings()) != 1 || !strings.Contains(rs[0].GetWarnings()[0], "spec.roles") {
		t.Fatalf("apply: %s, warnings %q", got, rs[0].GetWarnings())
	}
	p, err := st.GetProject("team-a")
	if err != nil {
		t.Fatal(err)
	}
	if m := p.GetManagedBy(); m.GetKind() != declare.OwnerConfigRepo || m.GetRepoUrl() != owner.RepoUrl || m.GetRevision() != "abc123" || m.GetPath() != "projects" {
		t.Errorf("ManagedBy %v, want %v", m, owner)
	}
	if len(p.GetWarnings()) != 1 {
		t.Errorf("Warnings %q, want the one about spec.roles", p.GetWarnings())
	}
	if err := e.PutProject(&pb.Project{Name: "team-a"}, true, false); err == nil || !strings.Contains(err.Error(), "declared in Git by the configuration repository") {
		t.Errorf("API change of a Git-declared project: %v", err)
	}
	if err := e.DeleteProject("team-a", false); err == nil {
		t.Error("API delete of a Git-declared project was accepted")
	}
	if err := e.DeleteProject("team-a", true); err != nil {
		t.Errorf("forced delete: %v", err)
	}
}

// Deleting a set deletes what it generated, with their resources unless
// it preserves them.
func TestDeleteAppSet(t *testing.T) {
	for _, preserve := range []bool{false, true} {
		e, st, rec := newEngine(t)
		policy := ""
		if preserve {
			policy = "  syncPolicy: {preserveResourcesOnDeletion: true}\n"
		}
		set := parse(t, `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: s}
spec:
  generators: [{list: {elements: [{n: a}]}}]
  template:
    metadata: {name: '{{n}}'}
    spec:
      source: {repoURL: https://g/r.git, path: x}
      destination: {name: east}
`+policy)
		if got := actions(e.Apply(set, declare.Options{})); got != "ApplicationSet/s created" {
			t.Fatal(got)
		}
		owner := &pb.ManagedBy{Kind: declare.OwnerApplicationSet, Name: "s"}
		if _, err := e.Declare(declare.Declaration{Owner: owner, Objects: parse(t, argoApp("a", "x", "")), Complete: true, Cascade: declare.HasResourcesFinalizer}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Reconciled("a", "east", "h", func(*pb.TargetStatus) {}); err != nil {
			t.Fatal(err)
		}
		if err := e.DeleteAppSet("s", false); err != nil {
			t.Fatalf("preserve %v: %v", preserve, err)
		}
		if _, err := st.GetApplication("a"); err == nil {
			t.Errorf("preserve %v: the generated application outlived its set", preserve)
		}
		want := map[bool]string{false: "a@east:cascade", true: "a@east:keep"}[preserve]
		if strings.Join(rec.removed, ",") != want {
			t.Errorf("preserve %v: removed %v, want %s", preserve, rec.removed, want)
		}
	}
}

// A commit that changes nothing of a declaration changes nothing: the
// child is unchanged (not rewritten, not reconciled) although the
// parent's revision moved.
func TestNewRevisionSameDeclaration(t *testing.T) {
	e, st, rec := newEngine(t)
	owner := func(rev string) *pb.ManagedBy {
		return &pb.ManagedBy{Kind: declare.OwnerApplication, Name: "root", RepoUrl: "https://g/r.git", Revision: rev}
	}
	if err := e.PutApp(&pb.Application{Name: "root", Source: &pb.ApplicationSource{RepoUrl: "https://g/r.git"},
		Destination: &pb.Destination{Clusters: []string{"east"}}}, false, false); err != nil {
		t.Fatal(err)
	}
	for i, rev := range []string{"r1", "r2"} {
		rs, err := e.Declare(declare.Declaration{Owner: owner(rev), Objects: parse(t, argoApp("child", "a", "")), Complete: true, Cascade: declare.HasResourcesFinalizer})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"created", "unchanged"}[i]; actions(rs) != "Application/child "+want {
			t.Fatalf("at %s: %s, want %s", rev, actions(rs), want)
		}
	}
	if a, _ := st.GetApplication("child"); a.GetManagedBy().GetRevision() != "r1" {
		t.Errorf("revision %q, want r1 (where the declaration last changed)", a.GetManagedBy().GetRevision())
	}
	if strings.Join(rec.reconciled, ",") != "root,child" {
		t.Errorf("reconciled %v, want root and child once each", rec.reconciled)
	}
}

// A dry run sees the projects the same request declares: an application
// using one is not refused for a project that does not exist yet.
func TestDryRunSeesProjectsOfTheRequest(t *testing.T) {
	e, st, _ := newEngine(t)
	objs := parse(t, "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: team}\nspec: {sourceRepos: ['*']}\n---\n"+
		argoApp("web", "web", "")+"")
	objs[1].App.Project = "team"
	if got := actions(e.Apply(objs, declare.Options{DryRun: true})); got != "Project/team created; Application/web created" {
		t.Fatalf("dry run: %s", got)
	}
	if _, err := st.GetProject("team"); err == nil {
		t.Error("a dry run created the project")
	}
}

// A child marked Prune=false stays when Git no longer declares it (the
// parent says so); one marked Delete=false outlives its parent's deletion.
func TestChildSyncOptions(t *testing.T) {
	e, st, _ := newEngine(t)
	if err := e.PutApp(&pb.Application{Name: "root", Source: &pb.ApplicationSource{RepoUrl: "https://g/r.git"},
		Destination: &pb.Destination{Clusters: []string{"east"}}}, false, false); err != nil {
		t.Fatal(err)
	}
	owner := &pb.ManagedBy{Kind: declare.OwnerApplication, Name: "root"}
	keep := "  annotations: {argocd.argoproj.io/sync-options: 'Prune=false'}\n"
	stay := "  annotations: {argocd.argoproj.io/sync-options: 'ServerSideApply=true, Delete=false'}\n"
	if _, err := e.Declare(declare.Declaration{Owner: owner, Objects: parse(t, argoApp("kept", "a", keep)+argoApp("stays", "b", stay)+argoApp("goes", "c", "")), Complete: true, Cascade: declare.HasResourcesFinalizer}); err != nil {
		t.Fatal(err)
	}
	rs, err := e.Declare(declare.Declaration{Owner: owner, Objects: parse(t, argoApp("stays", "b", stay)), Complete: true, Cascade: declare.HasResourcesFinalizer})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(rs); !strings.Contains(got, "Application/kept refused (no longer declared; kept") || !strings.Contains(got, "Application/goes deleted") {
		t.Fatalf("results: %s", got)
	}
	if err := e.DeleteApp("root", true, false); err != nil {
		t.Fatal(err)
	}
	a, err := st.GetApplication("stays")
	if err != nil || a.GetManagedBy() != nil {
		t.Errorf("Delete=false child after its parent's deletion: %v, managedBy %v; want kept, declared by nobody", err, a.GetManagedBy())
	}
	if _, err := st.GetApplication("kept"); err == nil {
		t.Error("Prune=false child outlived its parent's deletion (Prune=false keeps it from pruning only)")
	}
}

// A declarer limited to a project (a parent outside the default project)
// declares applications of that project only: no project, set or cluster
// labels, no application of another project, no take-over of one.
func TestDeclarerLimitedToItsProject(t *testing.T) {
	e, st, _ := newEngine(t)
	for _, p := range []string{"team-a", "prod"} {
		if err := e.PutProject(&pb.Project{Name: p, SourceRepos: []string{"*"}}, false, false); err != nil {
			t.Fatal(err)
		}
	}
	for name, project := range map[string]string{"payments": "prod", "team-root": "team-a"} {
		if err := e.PutApp(&pb.Application{Name: name, Project: project, Source: &pb.ApplicationSource{RepoUrl: "https://g/r.git"},
			Destination: &pb.Destination{Clusters: []string{"east"}}}, false, false); err != nil {
			t.Fatal(err)
		}
	}
	objs := parse(t, "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: wide}\nspec: {sourceRepos: ['*']}\n---\n"+
		argoApp("mine", "x", "")+argoApp("theirs", "x", "")+argoApp("payments", "x", ""))
	objs[1].App.Project, objs[2].App.Project, objs[3].App.Project = "team-a", "prod", "team-a"
	owner := &pb.ManagedBy{Kind: declare.OwnerApplication, Name: "team-root"}
	rs, err := e.Declare(declare.Declaration{Owner: owner, Objects: objs, Complete: true, Cascade: declare.HasResourcesFinalizer, Project: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	got := actions(rs)
	for _, want := range []string{
		"Project/wide refused (Project wide: application team-root of project team-a declares only applications of project team-a)",
		"Application/mine created",
		`Application/theirs refused (application theirs: project "prod"`,
		"Application/payments refused (application payments exists in project prod",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("results %s\nwant %q", got, want)
		}
	}
	if a, _ := st.GetApplication("payments"); a.GetManagedBy() != nil || a.GetSource().GetPath() != "" {
		t.Errorf("payments was taken over: %v", a)
	}
}

// applicationsSync: create-only neither updates nor deletes, create-update
// does not delete, create-delete does not update.
func TestAppSetSyncPolicy(t *testing.T) {
	for policy, want := range map[string][2]bool{"": {true, true}, "sync": {true, true}, "create-only": {false, false},
		"create-update": {true, false}, "create-delete": {false, true}} {
		s := &pb.ApplicationSet{SpecJson: `{"syncPolicy":{"applicationsSync":"` + policy + `"}}`}
		if u, r := declare.SyncPolicy(s); u != want[0] || r != want[1] {
			t.Errorf("%q: update %v delete %v, want %v", policy, u, r, want)
		}
	}
	e, st, _ := newEngine(t)
	owner := &pb.ManagedBy{Kind: declare.OwnerApplicationSet, Name: "s"}
	if _, err := e.Declare(declare.Declaration{Owner: owner, Objects: parse(t, argoApp("a", "one", "")), Complete: true}); err != nil {
		t.Fatal(err)
	}
	rs, err := e.Declare(declare.Declaration{Owner: owner, Objects: parse(t, argoApp("a", "two", "")), NoUpdate: true})
	if err != nil || actions(rs) != "Application/a unchanged" {
		t.Fatalf("NoUpdate: %s %v", actions(rs), err)
	}
	if a, _ := st.GetApplication("a"); a.GetSource().GetPath() != "one" {
		t.Errorf("NoUpdate changed the path to %q", a.GetSource().GetPath())
	}
}

// A child that dependsOn a sibling of a later sync wave would wait for it
// while it waits for the child's wave: the cycle is refused, named.
func TestWaveAndDependsOnCycle(t *testing.T) {
	e, _, _ := newEngine(t)
	if err := e.PutApp(&pb.Application{Name: "root", Source: &pb.ApplicationSource{RepoUrl: "https://g/r.git"},
		Destination: &pb.Destination{Clusters: []string{"east"}}}, false, false); err != nil {
		t.Fatal(err)
	}
	objs := parse(t, argoApp("early", "a", "  annotations: {argocd.argoproj.io/sync-wave: '0'}\n")+
		argoApp("late", "b", "  annotations: {argocd.argoproj.io/sync-wave: '1'}\n"))
	objs[0].App.DependsOn = []string{"late"}
	rs, err := e.Declare(declare.Declaration{Owner: &pb.ManagedBy{Kind: declare.OwnerApplication, Name: "root"}, Objects: objs, Complete: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(rs); !strings.Contains(got, "dependency cycle") {
		t.Errorf("results %s: want a dependency cycle refused", got)
	}
}
