package controller

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/flotilla-gitops/flotilla/hub/source"
)

// Limits on what one generation reads from a repository: a hostile
// repository cannot make a set read without end.
const (
	setMaxEntries   = 100_000 // paths walked per tree
	setMaxFileBytes = 1 << 20 // per file read by a files generator
	setMaxReadBytes = 8 << 20 // all files of one generation
)

// setGit is the Git a set's generators read: each repository fetched at
// most once per generation, through the hub's cache and credentials.
type setGit struct {
	c       *Controller
	ctx     context.Context
	mu      sync.Mutex
	fetched map[string]error
	total   int64
}

func (g *setGit) read() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.fetched))
	for u := range g.fetched {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

func (g *setGit) tree(repoURL, revision string) (*source.TreeFS, error) {
	g.mu.Lock()
	err, done := g.fetched[repoURL]
	if !done {
		// A repository the hub polls is as fresh as its last poll or
		// webhook (which generates the set again); one read for the first
		// time is fetched now.
		if !g.c.polledOnce(repoURL) {
			err = g.c.fetch(g.ctx, repoURL)
		}
		g.fetched[repoURL] = err
	}
	g.mu.Unlock()
	repo := g.c.repo(repoURL)
	if revision == "" {
		revision = "HEAD"
	}
	commit, rerr := repo.Resolve(revision)
	if rerr != nil {
		if err != nil {
			return nil, fmt.Errorf("%w (last fetch: %v)", rerr, err)
		}
		return nil, rerr
	}
	t, err := repo.Tree(commit)
	if err != nil {
		return nil, err
	}
	t.LimitBlobs(setMaxFileBytes)
	return t, nil
}

// walk visits every path of the tree, refusing trees larger than the limit.
func walk(t fs.FS, repoURL string, fn func(p string, d fs.DirEntry) error) error {
	n := 0
	return fs.WalkDir(t, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n++; n > setMaxEntries {
			return fmt.Errorf("%s: more than %d paths; a generator reads at most that many", repoURL, setMaxEntries)
		}
		if p == "." {
			return nil
		}
		return fn(p, d)
	})
}

// Dirs returns every directory of the tree at revision.
func (g *setGit) Dirs(repoURL, revision string) ([]string, error) {
	t, err := g.tree(repoURL, revision)
	if err != nil {
		return nil, err
	}
	var out []string
	err = walk(t, repoURL, func(p string, d fs.DirEntry) error {
		if d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// Files returns the files matching pattern (doublestar syntax) and their content.
func (g *setGit) Files(repoURL, revision, pattern string) (map[string][]byte, error) {
	if !doublestar.ValidatePattern(pattern) {
		return nil, fmt.Errorf("path %q: not a valid glob", pattern)
	}
	t, err := g.tree(repoURL, revision)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	err = walk(t, repoURL, func(p string, d fs.DirEntry) error {
		if d.IsDir() {
			return nil
		}
		if ok, _ := doublestar.Match(pattern, p); !ok {
			return nil
		}
		b, err := t.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", repoURL, p, err)
		}
		g.mu.Lock()
		g.total += int64(len(b))
		over := g.total > setMaxReadBytes
		g.mu.Unlock()
		if over {
			return errors.New(repoURL + ": the files generators read more than 8 MiB in one generation")
		}
		out[p] = b
		return nil
	})
	return out, err
}
