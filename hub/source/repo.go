// Package source keeps Git repositories for the hub: one bare clone per
// URL in a cache directory, fetched on poll or webhook, read as TreeFS at
// a commit without a work tree.
package source

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/Masterminds/semver/v3"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Credentials for one repository. They are never logged.
type Credentials struct {
	Username   string `json:"username,omitempty"`
	Password   string `json:"password,omitempty"` // or token
	SSHKey     []byte `json:"sshKey,omitempty"`
	KnownHosts []byte `json:"knownHosts,omitempty"`
	// CABundle is PEM certificates trusted for the repository's HTTPS, with
	// the system's roots (a private CA).
	CABundle []byte `json:"caBundle,omitempty"`
}

// String hides secrets from logs and errors.
func (c Credentials) String() string { return "Credentials{redacted}" }

func (c Credentials) auth() (transport.AuthMethod, error) {
	switch {
	case len(c.SSHKey) > 0:
		user := c.Username
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeys(user, c.SSHKey, c.Password)
		if err != nil {
			return nil, fmt.Errorf("ssh key: %w", err)
		}
		if len(c.KnownHosts) > 0 {
			cb, err := knownHostsCallback(c.KnownHosts)
			if err != nil {
				return nil, err
			}
			keys.HostKeyCallback = cb
		}
		return keys, nil
	case c.Password != "":
		user := c.Username
		if user == "" {
			user = "git" // token auth: any non-empty user
		}
		return &http.BasicAuth{Username: user, Password: c.Password}, nil
	}
	return nil, nil
}

// isSSH says whether url is fetched over SSH: ssh:// or scp-like
// [USER@]HOST:PATH.
func isSSH(url string) bool {
	if strings.HasPrefix(strings.ToLower(url), "ssh://") {
		return true
	}
	return !strings.Contains(url, "://") && scpLike.MatchString(url)
}

// scpLike is go-git's pattern of an scp-like address (the user is
// optional: host:org/repo.git is SSH too).
var scpLike = regexp.MustCompile(`^(?:[^@]+@)?[^:\s]+:(?:[0-9]{1,5}[/:])?[^\\].*/[^\\].*$`)

func knownHostsCallback(data []byte) (ssh.HostKeyCallback, error) {
	f, err := os.CreateTemp("", "known_hosts")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return knownhosts.New(f.Name())
}

// Cache holds one bare clone per repository URL under dir.
type Cache struct {
	dir   string
	mu    sync.Mutex
	repos map[string]*Repo
}

// NewCache uses dir for clones.
func NewCache(dir string) *Cache { return &Cache{dir: dir, repos: map[string]*Repo{}} }

// Repo returns the repository for url (not fetched yet).
func (c *Cache) Repo(url string, creds Credentials) *Repo {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.repos[url]
	if !ok {
		sum := sha256.Sum256([]byte(url))
		r = &Repo{url: url, dir: filepath.Join(c.dir, hex.EncodeToString(sum[:8]))}
		c.repos[url] = r
	}
	r.mu.Lock()
	r.creds = creds
	r.mu.Unlock()
	return r
}

// Repo is one cached repository. Fetch and reads may run concurrently.
type Repo struct {
	url   string
	dir   string
	mu    sync.RWMutex
	creds Credentials
	repo  *git.Repository

	fetches   atomic.Uint64 // fetches started
	lastFetch error         // the last fetch's result (guarded by mu)

	treesOnce sync.Once
	trees     *trees // decoded trees, shared by every TreeFS of the repository
}

var refSpecs = []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}

// Fetch clones the repository on first use, then fetches every branch and
// tag (force-pushes replace refs; deleted branches disappear).
//
// Calls coalesce: one that waited while another fetch started after it was
// made returns that fetch's result, which is at least as new as it asked
// for. Creating a thousand applications of one repository fetches it a few
// times, not a thousand.
func (r *Repo) Fetch(ctx context.Context) error {
	seen := r.fetches.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	// A fetch numbered above seen started after this call was made (the
	// counter moves under mu); a canceled one is no answer for others.
	last := r.lastFetch
	if r.fetches.Load() > seen && !errors.Is(last, context.Canceled) && !errors.Is(last, context.DeadlineExceeded) {
		return last
	}
	r.fetches.Add(1)
	r.lastFetch = r.fetch(ctx)
	return r.lastFetch
}

func (r *Repo) fetch(ctx context.Context) error {
	auth, err := r.creds.auth()
	if err != nil {
		return fmt.Errorf("%s: %w", r.url, err)
	}
	if auth == nil && isSSH(r.url) {
		// go-git would fall back to the hub user's SSH agent and
		// known_hosts: identities that are not the repository's.
		return fmt.Errorf("%s: no SSH key is stored for this repository (flotilla repo add %s --ssh-key-file KEY): the hub never uses its own SSH agent", r.url, r.url)
	}
	// go-git skips what is not a certificate: a CA bundle of none would
	// fail as an unknown authority, not as what it is.
	if ca := r.creds.CABundle; len(ca) > 0 && !x509.NewCertPool().AppendCertsFromPEM(ca) {
		return fmt.Errorf("repository %s: ca_cert: no PEM certificate", r.url)
	}
	if r.repo == nil {
		repo, err := git.PlainOpen(r.dir)
		if err != nil {
			if err := os.RemoveAll(r.dir); err != nil {
				return err
			}
			repo, err = git.PlainInit(r.dir, true)
			if err != nil {
				return fmt.Errorf("%s: init cache: %w", r.url, err)
			}
			if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.url}, Fetch: refSpecs}); err != nil {
				return fmt.Errorf("%s: %w", r.url, err)
			}
		}
		r.repo = repo
	}
	err = r.repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: refSpecs, Auth: auth, Force: true, Prune: true, Tags: git.NoTags, CABundle: r.creds.CABundle})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetch %s: %w", r.url, err)
	}
	return r.syncHead(ctx, auth)
}

// syncHead points HEAD at the remote's default branch.
func (r *Repo) syncHead(ctx context.Context, auth transport.AuthMethod) error {
	rem, err := r.repo.Remote("origin")
	if err != nil {
		return err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth, CABundle: r.creds.CABundle})
	if err != nil {
		return fmt.Errorf("list %s: %w", r.url, err)
	}
	for _, ref := range refs {
		if ref.Name() == plumbing.HEAD && ref.Type() == plumbing.SymbolicReference {
			// Rewritten only when it moved: render workers read this
			// repository meanwhile, and a HEAD being rewritten reads empty.
			if cur, err := r.repo.Storer.Reference(plumbing.HEAD); err == nil && cur.Target() == ref.Target() {
				return nil
			}
			return r.repo.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref.Target()))
		}
	}
	return nil
}

// Resolve turns a revision (branch, tag, full or short commit SHA; "" or
// HEAD for the default branch; else a semver constraint such as "~1.2" or
// ">=1.0 <2", the highest tag it matches, as Argo CD) into a commit hash.
func (r *Repo) Resolve(rev string) (plumbing.Hash, error) {
	h, _, err := r.ResolveTag(rev)
	return h, err
}

// ResolveExact turns a branch, tag or commit SHA ("" or HEAD: the
// default branch) into a commit hash, never reading rev as a semver
// constraint (Kustomize's ?ref= is exact).
func (r *Repo) ResolveExact(rev string) (plumbing.Hash, error) {
	h, _, err := r.resolve(rev, false)
	return h, err
}

// ResolveTag is Resolve that also returns the tag a semver constraint
// chose ("" when rev named a ref or commit).
func (r *Repo) ResolveTag(rev string) (plumbing.Hash, string, error) {
	return r.resolve(rev, true)
}

func (r *Repo) resolve(rev string, constraints bool) (plumbing.Hash, string, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.repo == nil {
		return plumbing.ZeroHash, "", fmt.Errorf("%s: not fetched", r.url)
	}
	if rev == "" {
		rev = "HEAD"
	}
	candidates := []plumbing.Revision{plumbing.Revision("refs/heads/" + rev), plumbing.Revision("refs/tags/" + rev), plumbing.Revision(rev)}
	if rev == "HEAD" || fullSHA.MatchString(rev) {
		candidates = []plumbing.Revision{plumbing.Revision(rev)}
	} else if c, err := semver.NewConstraint(rev); err == nil && constraints {
		// As Argo CD: a revision that reads as a semver constraint is the
		// highest tag it allows, when a tag matches; else a ref.
		if h, tag, err := r.resolveConstraint(rev, c); err == nil {
			return h, tag, nil
		}
	}
	for _, c := range candidates {
		if h, err := r.peel(c); err == nil {
			return h, "", nil
		}
	}
	return plumbing.ZeroHash, "", fmt.Errorf("%s: revision %q not found (no such branch, tag or commit, nor a tag matching it as a semver constraint)", r.url, rev)
}

var fullSHA = regexp.MustCompile(`^[0-9a-f]{40}$`)

// peel resolves a revision to a commit: an annotated tag resolves to the
// tag object, peeled to its commit.
func (r *Repo) peel(rev plumbing.Revision) (plumbing.Hash, error) {
	h, err := r.repo.ResolveRevision(rev)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if tag, err := r.repo.TagObject(*h); err == nil {
		if c, err := tag.Commit(); err == nil {
			return c.Hash, nil
		}
	}
	return *h, nil
}

// resolveConstraint resolves the highest tag matching c.
func (r *Repo) resolveConstraint(rev string, c *semver.Constraints) (plumbing.Hash, string, error) {
	refs, err := r.repo.Tags()
	if err != nil {
		return plumbing.ZeroHash, "", err
	}
	var tags []string
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		tags = append(tags, ref.Name().Short())
		return nil
	})
	if err != nil {
		return plumbing.ZeroHash, "", err
	}
	tag, ok := HighestTag(tags, c)
	if !ok {
		return plumbing.ZeroHash, "", fmt.Errorf("%s: no tag matches the semver constraint %q (%d tags)", r.url, rev, len(tags))
	}
	h, err := r.peel(plumbing.Revision("refs/tags/" + tag))
	return h, tag, err
}

// HighestTag returns the tag of the highest version that c allows; tags
// that are not semantic versions (a leading "v" is fine) are skipped.
func HighestTag(tags []string, c *semver.Constraints) (string, bool) {
	var best *semver.Version
	bestTag := ""
	for _, t := range tags {
		v, err := semver.NewVersion(t)
		if err != nil || !c.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) || (v.Equal(best) && t < bestTag) {
			best, bestTag = v, t
		}
	}
	return bestTag, best != nil
}

// Tree returns the file tree of a commit.
func (r *Repo) Tree(commit plumbing.Hash) (*TreeFS, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		return nil, fmt.Errorf("%s: commit %s: %w", r.url, commit, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, err
	}
	r.treesOnce.Do(func() { r.trees = newTrees(r.repo.Storer) })
	return newTreeFS(r.repo.Storer, t, r.trees), nil
}

// Message returns a commit's first line, for history.
func (r *Repo) Message(commit plumbing.Hash) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, err := object.GetCommit(r.repo.Storer, commit)
	if err != nil {
		return ""
	}
	first, _, _ := strings.Cut(c.Message, "\n")
	return first
}

// Dir is the repository's directory in the cache (a bare Git repository).
func (r *Repo) Dir() string { return r.dir }

// OpenTree opens the tree of a commit of the bare repository at dir, as a
// render worker does: it reads the hub's clone and never fetches.
//
// It reads the object store directly, not through a repository: opening
// one reads HEAD, which the hub's fetch may be rewriting at that moment.
func OpenTree(dir, commit string) (*TreeFS, error) {
	if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
	c, err := object.GetCommit(st, plumbing.NewHash(commit))
	if err != nil {
		return nil, fmt.Errorf("%s: commit %s: %w", dir, commit, err)
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("%s: commit %s: %w", dir, commit, err)
	}
	return newTreeFS(st, t, newTrees(st)), nil
}
