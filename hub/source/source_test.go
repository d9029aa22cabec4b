package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	"github.com/flotilla-gitops/flotilla/pkg/render"
)

func serve(t *testing.T, user, pass string) (*gitserver.Server, string) {
	t.Helper()
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gs.Username, gs.Password = user, pass
	srv := httptest.NewServer(gs)
	t.Cleanup(srv.Close)
	if err := gs.Create("app"); err != nil {
		t.Fatal(err)
	}
	return gs, srv.URL + "/app.git"
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n"

func TestFetchResolveAndRead(t *testing.T) {
	gs, url := serve(t, "alice", "s3cret")
	c1, err := gs.Commit("app", "main", "first", map[string]string{"apps/web/cm.yaml": strings.Replace(cm, "%s", "one", 1), "other/x.yaml": "x: 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Tag("app", "v1"); err != nil {
		t.Fatal(err)
	}
	cache := NewCache(t.TempDir())
	if err := cache.Repo(url, Credentials{Username: "alice", Password: "wrong"}).Fetch(ctx(t)); err == nil {
		t.Fatal("fetch with a wrong password succeeded")
	} else if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error leaks the password: %v", err)
	}
	repo := cache.Repo(url, Credentials{Username: "alice", Password: "s3cret"})
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, rev := range []string{"", "HEAD", "main", "v1", c1, c1[:8]} {
		h, err := repo.Resolve(rev)
		if err != nil || h.String() != c1 {
			t.Errorf("Resolve(%q) = %s, %v; want %s", rev, h, err, c1)
		}
	}
	if _, err := repo.Resolve("nope"); err == nil || !strings.Contains(err.Error(), `revision "nope" not found`) {
		t.Errorf("unknown revision: %v", err)
	}
	// Render straight from the tree, and record what was read.
	h, _ := repo.Resolve("main")
	tree, err := repo.Tree(h)
	if err != nil {
		t.Fatal(err)
	}
	res, err := render.Render(ctx(t), tree, render.Source{Path: "apps/web"}, render.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].GetName() != "one" {
		t.Fatalf("objects: %v", res.Objects)
	}
	reads := tree.Reads()
	if _, ok := reads["apps/web"]; !ok {
		t.Errorf("reads lack the app path: %v", reads)
	}
	if v, ok := reads["apps/web/kustomization.yaml"]; !ok || v != "" {
		t.Errorf("a missing kustomization.yaml must be recorded as absent: %v", reads)
	}

	// An unrelated commit leaves every read unchanged; a related one does not.
	c2, err := gs.Commit("app", "main", "unrelated", map[string]string{"other/x.yaml": "x: 2\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	h2, _ := repo.Resolve("main")
	if h2.String() != c2 {
		t.Fatalf("main = %s after fetch, want %s", h2, c2)
	}
	t2, _ := repo.Tree(h2)
	if !t2.Unchanged(reads) {
		t.Errorf("unrelated commit seen as a change")
	}
	gs.Commit("app", "main", "add kustomization", map[string]string{"apps/web/kustomization.yaml": "resources: [cm.yaml]\n"})
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	h3, _ := repo.Resolve("main")
	t3, _ := repo.Tree(h3)
	if t3.Unchanged(reads) {
		t.Errorf("adding kustomization.yaml not seen as a change")
	}

	// Force-push back to c1, then delete a branch.
	if err := gs.Reset("app", "main", c1); err != nil {
		t.Fatal(err)
	}
	if _, err := gs.Commit("app", "feature", "feature", map[string]string{"f.yaml": "f: 1\n"}); err != nil {
		t.Fatal(err)
	}
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if h, _ := repo.Resolve("main"); h.String() != c1 {
		t.Errorf("after force-push main = %s, want %s", h, c1)
	}
	if _, err := repo.Resolve("feature"); err != nil {
		t.Errorf("feature: %v", err)
	}
	if err := gs.DeleteBranch("app", "feature"); err != nil {
		t.Fatal(err)
	}
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Resolve("feature"); err == nil {
		t.Errorf("deleted branch still resolves")
	}
}

func TestTreeSymlinks(t *testing.T) {
	gs, url := serve(t, "", "")
	_, err := gs.Commit("app", "main", "links", map[string]string{
		"shared/cm.yaml":   strings.Replace(cm, "%s", "shared", 1),
		"app/linked.yaml":  "symlink:../shared/cm.yaml",
		"app/dirlink":      "symlink:../shared",
		"evil/passwd.yaml": "symlink:/etc/passwd",
		"evil2/up.yaml":    "symlink:../../outside.yaml",
		"loop/a.yaml":      "symlink:b.yaml",
		"loop/b.yaml":      "symlink:a.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	repo := NewCache(t.TempDir()).Repo(url, Credentials{})
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	h, _ := repo.Resolve("main")
	tree, _ := repo.Tree(h)
	b, err := fs.ReadFile(tree, "app/linked.yaml")
	if err != nil || !strings.Contains(string(b), "shared") {
		t.Errorf("link inside the repo: %q %v", b, err)
	}
	if b, err := fs.ReadFile(tree, "app/dirlink/cm.yaml"); err != nil || !strings.Contains(string(b), "shared") {
		t.Errorf("directory link inside the repo: %q %v", b, err)
	}
	for _, p := range []string{"evil/passwd.yaml", "evil2/up.yaml"} {
		if _, err := fs.ReadFile(tree, p); !errors.Is(err, render.ErrEscape) {
			t.Errorf("%s: err = %v, want ErrEscape", p, err)
		}
	}
	if _, err := fs.ReadFile(tree, "loop/a.yaml"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("symlink loop: %v", err)
	}
	if _, err := render.Render(ctx(t), tree, render.Source{Path: "evil"}, render.DefaultLimits()); !errors.Is(err, render.ErrEscape) {
		t.Errorf("render of an escaping link: %v", err)
	}
}

// Concurrent fetches of one repository coalesce, yet each returns with a
// commit pushed before it was called.
func TestFetchesCoalesce(t *testing.T) {
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		gs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	if err := gs.Create("app"); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/app.git"
	repo := NewCache(t.TempDir()).Repo(url, Credentials{})
	if _, err := gs.Commit("app", "main", "first", map[string]string{"a.yaml": "a: 1\n"}); err != nil {
		t.Fatal(err)
	}
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	one := requests.Load()
	const callers = 40
	for round := range 3 {
		head, err := gs.Commit("app", "main", fmt.Sprint("round ", round), map[string]string{"a.yaml": fmt.Sprintf("a: %d\n", round+2)})
		if err != nil {
			t.Fatal(err)
		}
		before := requests.Load()
		var wg sync.WaitGroup
		errs := make(chan error, callers)
		for range callers {
			wg.Go(func() {
				if err := repo.Fetch(ctx(t)); err != nil {
					errs <- err
					return
				}
				if h, err := repo.Resolve("main"); err != nil || h.String() != head {
					errs <- fmt.Errorf("after fetch main is %s (%v), want %s", h, err, head)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// Forty callers: at most a few fetches' worth of requests.
		if got := requests.Load() - before; got > 3*one {
			t.Errorf("round %d: %d Git requests for %d concurrent fetches (one fetch makes %d)", round, got, callers, one)
		}
	}
}

// A blob that compresses to almost nothing is refused by its size before
// it is inflated, naming the file, and a render of its directory fails.
func TestTreeRefusesLargeBlob(t *testing.T) {
	gs, url := serve(t, "", "")
	big := strings.Replace(cm, "%s", "big", 1) + "data:\n  x: \"" + strings.Repeat("0", DefaultMaxBlobBytes+1) + "\"\n"
	if _, err := gs.Commit("app", "main", "big", map[string]string{"app/big.yaml": big, "app/ok.yaml": strings.Replace(cm, "%s", "ok", 1)}); err != nil {
		t.Fatal(err)
	}
	repo := NewCache(t.TempDir()).Repo(url, Credentials{})
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	h, err := repo.Resolve("main")
	if err != nil {
		t.Fatal(err)
	}
	tree, err := repo.Tree(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(tree, "app/ok.yaml"); err != nil {
		t.Errorf("small file: %v", err)
	}
	_, err = fs.ReadFile(tree, "app/big.yaml")
	if !errors.Is(err, ErrBlobTooLarge) || !strings.Contains(err.Error(), "app/big.yaml") {
		t.Errorf("big blob: err = %v, want ErrBlobTooLarge naming app/big.yaml", err)
	}
	lim := render.DefaultLimits()
	lim.MaxFileBytes = 0 // the tree's own limit must hold without render's
	if _, err := render.Render(ctx(t), tree, render.Source{Path: "app"}, lim); !errors.Is(err, ErrBlobTooLarge) {
		t.Errorf("render of the big blob's directory: %v", err)
	}
	tree.LimitBlobs(8)
	if _, err := fs.ReadFile(tree, "app/ok.yaml"); !errors.Is(err, ErrBlobTooLarge) {
		t.Errorf("LimitBlobs(8) let a %d-byte file through: %v", len(cm), err)
	}
}

// ResolveExact reads a revision as Kustomize's ?ref= does: the tag v1 is
// the tag v1, not the highest v1.x.y a constraint would allow.
func TestResolveExact(t *testing.T) {
	gs, url := serve(t, "alice", "s3cret")
	c1, err := gs.Commit("app", "main", "first", map[string]string{"a.yaml": "a: 1\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Tag("app", "v1"); err != nil {
		t.Fatal(err)
	}
	c2, err := gs.Commit("app", "main", "second", map[string]string{"a.yaml": "a: 2\n"})
	if err != nil {
		t.Fatal(err)
	}
	if err := gs.Tag("app", "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	repo := NewCache(t.TempDir()).Repo(url, Credentials{Username: "alice", Password: "s3cret"})
	if err := repo.Fetch(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if h, err := repo.ResolveExact("v1"); err != nil || h.String() != c1 {
		t.Errorf("ResolveExact(v1) = %s %v, want the tag's %s", h, err, c1)
	}
	if h, err := repo.Resolve("v1"); err != nil || h.String() != c2 {
		t.Errorf("Resolve(v1) = %s %v, want the constraint's highest tag %s", h, err, c2)
	}
	if _, err := repo.ResolveExact("~1.2"); err == nil {
		t.Error("ResolveExact read a semver constraint")
	}
}
