package controller

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// gitEnv is a controller on a real bbolt store, planning from a real Git
// repository served over HTTP; nothing listens for its notifications.
type gitEnv struct {
	t        *testing.T
	git      *gitserver.Server
	url      string
	dataDir  string
	cacheDir string
	st       *store.Store
	c        *Controller
	// compactions are those the store's opens made.
	compactions []store.CompactStats
}

func newGitEnv(t *testing.T, clusters ...string) *gitEnv {
	t.Helper()
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gs)
	t.Cleanup(srv.Close)
	if err := gs.Create("apps"); err != nil {
		t.Fatal(err)
	}
	e := &gitEnv{t: t, git: gs, url: srv.URL + "/apps.git", dataDir: t.TempDir(), cacheDir: t.TempDir()}
	e.open()
	t.Cleanup(func() {
		if err := e.st.Check(); err != nil {
			t.Errorf("store inconsistent: %v", err)
		}
		if err := e.st.Close(); err != nil {
			t.Error(err)
		}
	})
	for _, c := range clusters {
		if err := e.st.AddCluster(&pb.Cluster{Name: c}, "token-"+c); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *gitEnv) open() {
	e.t.Helper()
	st, err := store.Open(e.dataDir)
	if err != nil {
		e.t.Fatal(err)
	}
	if cs := st.Compaction(); cs.Compacted {
		e.compactions = append(e.compactions, cs)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.st, e.c = st, New(st, source.NewCache(e.cacheDir), nopNotifier{}, log, DefaultOptions())
}

// edit closes the store, changes its bbolt file with fn and opens it again
// (with a new controller): a fault injected under the store's API.
func (e *gitEnv) edit(fn func(tx *bolt.Tx) error) {
	e.t.Helper()
	e.offline(func(db *bolt.DB) error { return db.Update(fn) })
}

// offline closes the store, runs fn on its bbolt file and opens it again
// (with a new controller).
func (e *gitEnv) offline(fn func(db *bolt.DB) error) {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(e.dataDir, "hub.db"), 0o600, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := fn(db); err != nil {
		e.t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *gitEnv) commit(msg string, files map[string]string) string {
	e.t.Helper()
	sha, err := e.git.Commit("apps", "main", msg, files)
	if err != nil {
		e.t.Fatal(err)
	}
	return sha
}

// app creates an automated, pruning application of the directory path;
// edit, when set, changes it first.
func (e *gitEnv) app(name, path string, edit func(*pb.Application), clusters ...string) {
	e.t.Helper()
	a := &pb.Application{Name: name, Source: &pb.ApplicationSource{RepoUrl: e.url, Path: path, TargetRevision: "main"},
		Destination: &pb.Destination{Clusters: clusters, Namespace: "default"}, SyncPolicy: &pb.SyncPolicy{Automated: true, Prune: true}}
	if edit != nil {
		edit(a)
	}
	if err := e.st.PutApplication(a, false); err != nil {
		e.t.Fatal(err)
	}
}

func (e *gitEnv) reconcile(app string) {
	e.t.Helper()
	if err := e.c.Reconcile(context.Background(), app); err != nil {
		e.t.Fatalf("reconcile %s: %v", app, err)
	}
}

func configMap(name, value string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  v: \"" + value + "\"\n"
}

type nopNotifier struct{}

func (nopNotifier) DesiredChanged(string, string)      {}
func (nopNotifier) TargetRemoved(string, string, bool) {}
func (nopNotifier) TargetUpdated(*pb.TargetStatus)     {}
