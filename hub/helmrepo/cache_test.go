package helmrepo

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
	"helm.sh/helm/v3/pkg/repo"
)

// pullWeb refreshes u with c and pulls chart web at version (its index
// digest dropped with noDigest): the chart's directory and digest.
func pullWeb(t *testing.T, c *Cache, u, version string, noDigest bool) (string, string) {
	t.Helper()
	ctx := context.Background()
	if err := c.Refresh(ctx, u, []string{"web"}, creds, 0); err != nil {
		t.Fatal(err)
	}
	cv, err := c.Resolve(u, "web", version)
	if err != nil {
		t.Fatal(err)
	}
	if noDigest {
		plain := *cv
		plain.Digest = ""
		cv = &plain
	}
	dir, digest, err := c.Pull(ctx, u, cv, creds)
	if err != nil {
		t.Fatal(err)
	}
	return dir, digest
}

// A new cache on the directory of another (the hub restarted) pulls no
// chart version the other pulled: index digest or none, one pull or 16
// at once.
func TestPullAfterRestart(t *testing.T) {
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0", "1.1.0"}})
	dir := t.TempDir()
	first := New(dir, 10*time.Second, DefaultLimits())
	want := map[string]string{}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		want[v], _ = pullWeb(t, first, u, v, v == "1.1.0")
	}
	if pulls.Load() != 2 {
		t.Fatalf("%d downloads, want 2", pulls.Load())
	}
	again := New(dir, 10*time.Second, DefaultLimits())
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if got, _ := pullWeb(t, again, u, v, v == "1.1.0"); got != want[v] {
			t.Errorf("%s after a restart: %s, want %s", v, got, want[v])
		}
	}
	if pulls.Load() != 2 {
		t.Errorf("%d downloads after a restart, want none more (2)", pulls.Load())
	}
	if b, err := os.ReadFile(filepath.Join(want["1.0.0"], "templates", "cm.yaml")); err != nil || !strings.Contains(string(b), "1.0.0") {
		t.Errorf("the chart kept: %s %v", b, err)
	}

	third := New(dir, 10*time.Second, DefaultLimits())
	if err := third.Refresh(context.Background(), u, nil, creds, 0); err != nil {
		t.Fatal(err)
	}
	cv, _ := third.Resolve(u, "web", "1.0.0")
	dirs := pullAtOnce(t, third, u, cv, 16)
	for _, d := range dirs {
		if d != want["1.0.0"] {
			t.Errorf("pulled into %s, want %s", d, want["1.0.0"])
		}
	}
	if pulls.Load() != 2 {
		t.Errorf("%d downloads after 16 pulls at once on a restart, want none more (2)", pulls.Load())
	}
}

// pullAtOnce pulls cv from n goroutines at once: the directories.
func pullAtOnce(t *testing.T, c *Cache, u string, cv *repo.ChartVersion, n int) []string {
	t.Helper()
	dirs, errs := make([]string, n), make([]error, n)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			start.Wait()
			dirs[i], _, errs[i] = c.Pull(context.Background(), u, cv, creds)
		})
	}
	start.Done()
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return dirs
}

// A copy on disk that is not the archive unpacked complete, or that no
// pull of this version recorded, is not used after a restart: the
// version is downloaded and unpacked again.
func TestDamagedCopyAfterRestart(t *testing.T) {
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0"}})
	for name, damage := range map[string]func(t *testing.T, cache, base string){
		"a file missing": func(t *testing.T, _, base string) {
			rm(t, filepath.Join(base, "web", "templates", "cm.yaml"))
		},
		"a file of another size": func(t *testing.T, _, base string) {
			write(t, filepath.Join(base, "web", "Chart.yaml"), "name: web\n")
		},
		"a file added": func(t *testing.T, _, base string) {
			write(t, filepath.Join(base, "web", "templates", "more.yaml"), "kind: Secret\n")
		},
		"no list of its files": func(t *testing.T, _, base string) {
			rm(t, filepath.Join(base, completeFile))
		},
		"cut short before the rename": func(t *testing.T, _, base string) {
			if err := os.Rename(base, base+".tmp"); err != nil {
				t.Fatal(err)
			}
		},
		"no record of the version": func(t *testing.T, cache, _ string) {
			rm(t, filepath.Join(cache, "verified"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			dir, digest := pullWeb(t, New(cache, 10*time.Second, DefaultLimits()), u, "1.0.0", false)
			base := filepath.Join(cache, "charts", strings.TrimPrefix(digest, "sha256:"))
			damage(t, cache, base)
			before := pulls.Load()
			if got, _ := pullWeb(t, New(cache, 10*time.Second, DefaultLimits()), u, "1.0.0", false); got != dir {
				t.Errorf("pulled into %s, want %s", got, dir)
			}
			if n := pulls.Load() - before; n != 1 {
				t.Errorf("%d downloads after a restart, want 1", n)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "templates", "cm.yaml")); err != nil || !strings.Contains(string(b), "1.0.0") {
				t.Errorf("the chart unpacked again: %s %v", b, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "templates", "more.yaml")); !os.IsNotExist(err) {
				t.Errorf("a file the archive does not hold: %v", err)
			}
			if _, err := os.Stat(base + ".tmp"); !os.IsNotExist(err) {
				t.Errorf("the unpack cut short is still there: %v", err)
			}
		})
	}
}

func rm(t *testing.T, p string) {
	t.Helper()
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// An index naming the digest of a chart pulled from another repository
// does not get that chart, before a restart or after: its own archive is
// downloaded and refused.
func TestDigestOfAnotherRepository(t *testing.T) {
	u1, _, _ := serveRepo(t, map[string][]string{"web": {"1.0.0"}})
	other := helmtest.Serve(t, "user", "pass")
	other.Add(t, "web", "1.0.0", map[string]string{"cm.yaml": cmWeb}, "")
	dir := t.TempDir()
	ctx := context.Background()
	for run := range 2 {
		c := New(dir, 10*time.Second, DefaultLimits())
		_, digest := pullWeb(t, c, u1, "1.0.0", false)
		if err := c.Refresh(ctx, other.URL, nil, creds, 0); err != nil {
			t.Fatal(err)
		}
		cv, err := c.Resolve(other.URL, "web", "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		forged := *cv
		forged.Digest = strings.TrimPrefix(digest, "sha256:")
		if _, _, err := c.Pull(ctx, other.URL, &forged, creds); err == nil || !strings.Contains(err.Error(), "does not match the index") {
			t.Errorf("run %d: %v, want the other repository's archive refused", run, err)
		}
		if n := other.Pulls.Load(); n != int32(run+1) {
			t.Errorf("run %d: %d downloads from the other repository, want %d", run, n, run+1)
		}
	}
}

// Pulls of one version at once share one download: all get the same
// directory.
func TestConcurrentPulls(t *testing.T) {
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0"}})
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	if err := c.Refresh(context.Background(), u, nil, creds, 0); err != nil {
		t.Fatal(err)
	}
	cv, _ := c.Resolve(u, "web", "1.0.0")
	dirs := pullAtOnce(t, c, u, cv, 16)
	for _, d := range dirs {
		if d != dirs[0] {
			t.Errorf("pulled into %s and %s", d, dirs[0])
		}
	}
	if pulls.Load() != 1 {
		t.Errorf("%d downloads for 16 pulls at once, want 1", pulls.Load())
	}
}

// gate serves the files of a Helm repository's directory, holding each
// request until the test answers it with a status; it counts requests.
type gate struct {
	URL      string
	requests atomic.Int32
	answers  chan int
}

func serveGate(t *testing.T, dir string) *gate {
	t.Helper()
	g := &gate{answers: make(chan int, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.requests.Add(1)
		select {
		case status := <-g.answers:
			if status != http.StatusOK {
				http.Error(w, http.StatusText(status), status)
				return
			}
		case <-r.Context().Done():
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, path.Base(r.URL.Path)))
	}))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// sharing reports each caller that joins a shared fetch from now on,
// until the test ends.
func sharing(t *testing.T) <-chan struct{} {
	ch := make(chan struct{}, 64)
	joined = func() { ch <- struct{}{} }
	t.Cleanup(func() { joined = nil })
	return ch
}

// waitSharing waits until n more callers have joined the fetch under
// way, so that what the fetch returns reaches all of them.
func waitSharing(t *testing.T, joins <-chan struct{}, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for got := range n {
		select {
		case <-joins:
		case <-deadline:
			t.Fatalf("waited 10s for %d callers sharing a fetch, %d joined", n, got)
		}
	}
}

// The error of a download reaches every pull that shared it, and is not
// kept: the next pull downloads again. A pull that gives up (its context
// ends) returns at once, and neither stops the download nor fails the
// pulls sharing it.
func TestSharedPullErrorAndCancel(t *testing.T) {
	r := helmtest.Serve(t, "", "")
	r.Add(t, "web", "1.0.0", map[string]string{"cm.yaml": cmWeb}, "")
	g := serveGate(t, r.Dir)
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	ctx := context.Background()
	if err := c.Refresh(ctx, r.URL, nil, Credentials{}, 0); err != nil {
		t.Fatal(err)
	}
	cv, _ := c.Resolve(r.URL, "web", "1.0.0")
	gated := *cv
	gated.URLs = []string{g.URL + "/web-1.0.0.tgz"}

	joins := sharing(t)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, _, errs[i] = c.Pull(ctx, g.URL, &gated, Credentials{}) })
	}
	waitSharing(t, joins, len(errs))
	g.answers <- http.StatusInternalServerError
	wg.Wait()
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Errorf("pull %d: %v, want the 500", i, err)
		}
	}
	if n := g.requests.Load(); n != 1 {
		t.Errorf("%d downloads for 8 pulls at once, want 1", n)
	}

	giveUp, cancel := context.WithCancel(ctx)
	var kept error
	wg.Go(func() { _, _, kept = c.Pull(ctx, g.URL, &gated, Credentials{}) })
	done := make(chan error)
	go func() { _, _, err := c.Pull(giveUp, g.URL, &gated, Credentials{}); done <- err }()
	waitSharing(t, joins, 2)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the pull that gave up: %v, want canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the pull that gave up did not return within 10s")
	}
	g.answers <- http.StatusOK
	wg.Wait()
	if kept != nil {
		t.Errorf("the pull sharing the download: %v", kept)
	}
	if n := g.requests.Load(); n != 2 {
		t.Errorf("%d downloads, want 2 (the one that failed, one more)", n)
	}
}

// A Helm repository's index is read once for all its charts within
// maxAge; refreshes at once (maxAge 0 too) share one read; one with
// maxAge 0 later reads it again.
func TestIndexReadOncePerRefresh(t *testing.T) {
	r := helmtest.Serve(t, "", "")
	r.Add(t, "a", "1.0.0", map[string]string{"cm.yaml": cmWeb}, "")
	r.Add(t, "b", "1.0.0", map[string]string{"cm.yaml": cmWeb}, "")
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	ctx := context.Background()
	for _, charts := range [][]string{{"a"}, {"b"}, {"a", "b"}, nil} {
		if err := c.Refresh(ctx, r.URL, charts, Credentials{}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.Indexes.Load(); n != 1 {
		t.Errorf("%d index reads for charts a, b, both, none within maxAge, want 1", n)
	}
	if err := c.Refresh(ctx, r.URL, []string{"b"}, Credentials{}, 0); err != nil || r.Indexes.Load() != 2 {
		t.Errorf("a refresh with maxAge 0: %v, %d index reads, want 2", err, r.Indexes.Load())
	}
	c.Forget(r.URL)
	if err := c.Refresh(ctx, r.URL, []string{"a"}, Credentials{}, time.Hour); err != nil || r.Indexes.Load() != 3 {
		t.Errorf("a refresh after Forget: %v, %d index reads, want 3", err, r.Indexes.Load())
	}

	g := serveGate(t, r.Dir)
	joins := sharing(t)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		charts := []string{[]string{"a", "b"}[i%2]}
		wg.Go(func() { errs[i] = c.Refresh(ctx, g.URL, charts, Credentials{}, 0) })
	}
	waitSharing(t, joins, len(errs))
	g.answers <- http.StatusOK
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := g.requests.Load(); n != 1 {
		t.Errorf("%d index reads for 8 refreshes at once with maxAge 0, want 1", n)
	}
	g.answers <- http.StatusOK
	if err := c.Refresh(ctx, g.URL, []string{"a"}, Credentials{}, 0); err != nil || g.requests.Load() != 2 {
		t.Errorf("a later refresh with maxAge 0: %v, %d index reads, want 2", err, g.requests.Load())
	}
	if _, err := c.Resolve(g.URL, "b", "1.0.0"); err != nil {
		t.Error(err)
	}
}

// GC: a chart a new cache has not pulled yet counts from when it was
// unpacked; one removed is downloaded again (its record gone with it); an
// unpack cut short is removed, even of a digest kept.
func TestGCAfterRestart(t *testing.T) {
	u, _, pulls := serveRepo(t, map[string][]string{"web": {"1.0.0"}})
	dir := t.TempDir()
	_, digest := pullWeb(t, New(dir, 10*time.Second, DefaultLimits()), u, "1.0.0", false)
	c := New(dir, 10*time.Second, DefaultLimits())
	if n, err := c.GC(map[string]bool{}, time.Hour); err != nil || n != 0 {
		t.Fatalf("unpacked within the grace period: freed %d (%v), want 0", n, err)
	}
	base := filepath.Join(dir, "charts", strings.TrimPrefix(digest, "sha256:"))
	if err := os.Mkdir(base+".tmp", 0o700); err != nil {
		t.Fatal(err)
	}
	if n, err := c.GC(map[string]bool{digest: true}, 0); err != nil || n != 0 {
		t.Fatalf("kept: freed %d (%v), want 0", n, err)
	}
	if _, err := os.Stat(base + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("an unpack cut short of a digest kept: %v, want it removed", err)
	}
	if n, err := c.GC(map[string]bool{}, 0); err != nil || n != 1 {
		t.Fatalf("freed %d (%v), want 1", n, err)
	}
	if records, err := os.ReadDir(filepath.Join(dir, "verified")); err != nil || len(records) != 0 {
		t.Errorf("records of the digests removed: %v %v, want none", records, err)
	}
	pullWeb(t, New(dir, 10*time.Second, DefaultLimits()), u, "1.0.0", false)
	if pulls.Load() != 2 {
		t.Errorf("%d downloads, want 2 (once more after the GC)", pulls.Load())
	}
}

// An OCI chart pulled is not pulled again by a new cache on its
// directory; refreshes of a registry's charts at once keep every chart's
// tags.
func TestOCIPullAfterRestart(t *testing.T) {
	reg := helmtest.ServeOCI(t, "user", "pass")
	for _, name := range []string{"web", "api"} {
		reg.Push(t, name, "1.0.0", map[string]string{"cm.yaml": cmWeb}, "")
	}
	dir := t.TempDir()
	ctx := context.Background()
	want, pushed := "", reg.Pulls.Load()
	for run := range 2 {
		c := New(dir, 10*time.Second, DefaultLimits())
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			name := []string{"web", "api"}[i%2]
			wg.Go(func() { errs[i] = c.Refresh(ctx, reg.URL, []string{name}, creds, 0) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Resolve(reg.URL, "api", "1.0.0"); err != nil {
			t.Error(err)
		}
		cv, err := c.Resolve(reg.URL, "web", "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := c.Pull(ctx, reg.URL, cv, creds)
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			want = got
		}
		if n := reg.Pulls.Load() - pushed; got != want || n != 1 {
			t.Errorf("run %d: %s, %d pulls from the registry, want %s, 1", run, got, n, want)
		}
	}
}
