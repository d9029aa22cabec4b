// Package helmrepo reads Helm chart repositories (index.yaml over HTTP or
// HTTPS): it resolves a chart's version (exact, or a semver constraint:
// the highest that matches, as Helm and Argo CD do) from the repository's
// index, and pulls the chart archive into a content-addressed cache on the
// hub's disk, verified against the index's digest and never fetched again
// for the same digest. Everything read is bounded: a hostile repository
// cannot fill the disk or the memory.
package helmrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"
)

// Limits bound what is read from a repository.
type Limits struct {
	IndexBytes   int64 // index.yaml
	ArchiveBytes int64 // one chart archive (.tgz)
	ChartBytes   int64 // one chart unpacked, all files
	ChartFiles   int   // files of one chart unpacked
}

// DefaultLimits fit the largest public charts with room to spare.
func DefaultLimits() Limits {
	return Limits{IndexBytes: 64 << 20, ArchiveBytes: 32 << 20, ChartBytes: 128 << 20, ChartFiles: 10000}
}

// Credentials authenticate to a repository (basic auth, write-only) and
// say which CA its TLS certificate may come from. Both are for the
// repository's own host: a chart URL of the index on another host gets
// neither, and a redirect to another host is not verified against the CA.
type Credentials struct {
	Username, Password string
	// CA is PEM certificates trusted, with the system's roots, for the
	// repository's host (a private CA).
	CA []byte
}

// Cache keeps repositories' indexes (in memory and on disk) and the charts
// pulled from them (on disk, see disk.go: a restart downloads nothing it
// has).
type Cache struct {
	dir    string
	limits Limits
	client *http.Client
	mu     sync.Mutex
	index  map[string]*repo.IndexFile // repository URL → its last index
	// verified: repository URL, chart and version → the digest of the
	// archive this cache downloaded and checked (the only digests a pull
	// trusts without downloading), read from and written to disk.
	verified map[string]string
	// pulledAt: digest → when a pull last returned it; only digests whose
	// directory this process unpacked or checked complete.
	pulledAt map[string]time.Time
	pulls    sync.Mutex // one unpack, check (or GC) of the cache at a time
	// fetches, fetched: the refreshes under way and the time of the last
	// one, by index: a Helm repository's URL, or an OCI chart's (registry
	// URL and chart).
	fetches singleflight.Group
	fetched map[string]time.Time
	pulling singleflight.Group // downloads under way, by chart version and digest
	// transports: the SHA-256 of a CA bundle → the transport trusting it.
	transports map[[32]byte]*http.Transport
}

// DefaultTimeout bounds each request of a cache given none.
const DefaultTimeout = 2 * time.Minute

// New returns a cache under dir; timeout bounds each request (0:
// DefaultTimeout; a fetch shared by several callers outlives the caller
// that started it).
func New(dir string, timeout time.Duration, l Limits) *Cache {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Cache{dir: dir, limits: l, client: &http.Client{Timeout: timeout, CheckRedirect: dropAuthElsewhere},
		index: map[string]*repo.IndexFile{}, verified: map[string]string{}, fetched: map[string]time.Time{}, pulledAt: map[string]time.Time{},
		transports: map[[32]byte]*http.Transport{}}
}

// IsHelmURL reports whether a chart repository URL is one this package
// reads (HTTP or HTTPS index, or an OCI registry).
func IsHelmURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || IsOCI(u)
}

// dropAuthElsewhere keeps credentials off a redirect to another scheme or
// host.
func dropAuthElsewhere(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		req.Header.Del("Authorization")
	}
	return nil
}

// Refresh fetches a repository's index.yaml, or for an OCI registry the
// tags of the charts named; concurrent refreshes of one index (a Helm
// repository's, whatever the charts; one chart's tags in a registry) share
// one fetch, and one done less than maxAge ago is not done again (many
// applications of one repository reconciled together read it once; a
// poll or webhook passes 0).
func (c *Cache) Refresh(ctx context.Context, repoURL string, charts []string, cr Credentials, maxAge time.Duration) error {
	if !IsOCI(repoURL) {
		return c.refreshOnce(ctx, repoURL, repoURL, nil, cr, maxAge)
	}
	var errs []error
	for _, name := range charts {
		errs = append(errs, c.refreshOnce(ctx, repoURL+"\x00"+name, repoURL, []string{name}, cr, maxAge))
	}
	return errors.Join(errs...)
}

// refreshOnce refreshes the index key (see fetched) unless it was less
// than maxAge ago, sharing the fetch with the refreshes of key under way.
func (c *Cache) refreshOnce(ctx context.Context, key, repoURL string, charts []string, cr Credentials, maxAge time.Duration) error {
	c.mu.Lock()
	recent := maxAge > 0 && time.Since(c.fetched[key]) < maxAge
	c.mu.Unlock()
	if recent {
		return nil
	}
	_, err := shared(ctx, &c.fetches, key, func(ctx context.Context) (any, error) {
		err := c.refresh(ctx, repoURL, charts, cr)
		if err == nil {
			c.mu.Lock()
			c.fetched[key] = time.Now()
			c.mu.Unlock()
		}
		return nil, err
	})
	return err
}

// joined, set by tests only, is called when a caller has joined a shared
// fetch (DoChan returned: what the fetch returns reaches it).
var joined func()

// shared runs fn once for all the callers of key at a time: one caller
// giving up (its ctx ended) neither stops it nor fails the others (fn's
// requests are bounded by the client's timeout); each caller returns its
// result, or its own ctx's error when that ends first. Results and errors
// are not kept: the next caller runs fn again.
func shared(ctx context.Context, g *singleflight.Group, key string, fn func(context.Context) (any, error)) (any, error) {
	ch := g.DoChan(key, func() (any, error) { return fn(context.WithoutCancel(ctx)) })
	if joined != nil {
		joined()
	}
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Forget makes the next Refresh of a repository fetch (a hard refresh).
func (c *Cache) Forget(repoURL string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.fetched {
		if k == repoURL || strings.HasPrefix(k, repoURL+"\x00") {
			delete(c.fetched, k)
		}
	}
}

func (c *Cache) refresh(ctx context.Context, repoURL string, charts []string, cr Credentials) error {
	if _, err := c.transport(repoURL, cr); err != nil {
		return err
	}
	if IsOCI(repoURL) {
		return c.refreshOCI(ctx, repoURL, charts, cr)
	}
	b, err := c.get(ctx, repoURL, strings.TrimSuffix(repoURL, "/")+"/index.yaml", cr, c.limits.IndexBytes)
	if err != nil {
		return fmt.Errorf("helm repository %s: index.yaml: %w", repoURL, err)
	}
	idx, err := parseIndex(b)
	if err != nil {
		return fmt.Errorf("helm repository %s: index.yaml: %w", repoURL, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.index[repoURL] = idx
	return c.saveIndex(repoURL, b) // a later start reads it before its first fetch
}

// saveIndex writes an index atomically (the caller holds mu).
func (c *Cache) saveIndex(repoURL string, b []byte) error {
	if err := os.MkdirAll(c.indexDir(), 0o700); err != nil {
		return err
	}
	tmp := c.indexFile(repoURL) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.indexFile(repoURL))
}

func parseIndex(b []byte) (*repo.IndexFile, error) {
	idx := &repo.IndexFile{}
	if err := yaml.Unmarshal(b, idx); err != nil {
		return nil, err
	}
	if idx.APIVersion == "" {
		return nil, errors.New("no apiVersion: not a Helm repository index")
	}
	for name, versions := range idx.Entries {
		kept := versions[:0]
		for _, v := range versions {
			// As Helm's loader: an entry that is not what it says is
			// dropped; its name must be the entry's (it names a directory),
			// its digest a SHA-256.
			if v != nil && v.Metadata != nil && v.Name == name && validName(name) && validDigest(v.Digest) && v.Metadata.Validate() == nil {
				kept = append(kept, v)
			}
		}
		idx.Entries[name] = kept
	}
	idx.SortEntries()
	return idx, nil
}

var hexDigest = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

func validDigest(d string) bool { return d == "" || hexDigest.MatchString(d) }

// validName refuses a chart name that could name another directory.
func validName(n string) bool {
	return n != "" && n != "." && n != ".." && !strings.ContainsAny(n, `/\`)
}

// Resolve picks the version of chart that version (exact, or a semver
// constraint) selects in the repository's last index.
func (c *Cache) Resolve(repoURL, chart, version string) (*repo.ChartVersion, error) {
	idx, err := c.indexOf(repoURL)
	if err != nil {
		return nil, err
	}
	if _, ok := idx.Entries[chart]; !ok {
		return nil, fmt.Errorf("helm repository %s: no chart %q", repoURL, chart)
	}
	cv, err := idx.Get(chart, version)
	if err != nil {
		return nil, fmt.Errorf("helm repository %s: chart %s: no version matches %q (%v)", repoURL, chart, orLatest(version), err)
	}
	return cv, nil
}

func orLatest(v string) string {
	if v == "" {
		return "the latest"
	}
	return v
}

func (c *Cache) indexOf(repoURL string) (*repo.IndexFile, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idx, ok := c.index[repoURL]; ok {
		return idx, nil
	}
	b, err := os.ReadFile(c.indexFile(repoURL))
	if err != nil {
		return nil, fmt.Errorf("helm repository %s: not fetched yet", repoURL)
	}
	idx, err := parseIndex(b)
	if err != nil {
		return nil, fmt.Errorf("helm repository %s: the index kept on disk: %w", repoURL, err)
	}
	c.index[repoURL] = idx
	return idx, nil
}

func (c *Cache) indexDir() string { return filepath.Join(c.dir, "index") }

func (c *Cache) indexFile(repoURL string) string {
	return filepath.Join(c.indexDir(), url.PathEscape(repoURL)+".yaml")
}

// get reads u with the credentials of the repository repoURL, at most
// limit bytes.
func (c *Cache) get(ctx context.Context, repoURL, u string, cr Credentials, limit int64) ([]byte, error) {
	client := c.client
	if len(cr.CA) > 0 {
		t, err := c.transport(repoURL, cr)
		if err != nil {
			return nil, err
		}
		client = &http.Client{Timeout: c.client.Timeout, CheckRedirect: c.client.CheckRedirect, Transport: t}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if cr.Username != "" || cr.Password != "" {
		req.SetBasicAuth(cr.Username, cr.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%s: %s (check the repository's credentials: flotilla repo add %s --type helm --username ...)", redact(u), resp.Status, redact(u))
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %s", redact(u), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d MiB", redact(u), limit>>20)
	}
	return b, nil
}

// redact drops credentials from a URL for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	p.User = nil
	return p.String()
}
