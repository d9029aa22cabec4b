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
	"strings"
	"sync"
	"time"

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

// Credentials authenticate to a repository (basic auth); write-only.
type Credentials struct {
	Username, Password string
}

// Cache keeps repositories' indexes (in memory and on disk) and the charts
// pulled from them.
type Cache struct {
	dir    string
	limits Limits
	client *http.Client
	mu     sync.Mutex
	index  map[string]*repo.IndexFile // repository URL → its last index
	pulls  sync.Mutex                 // one pull into the cache at a time
}

// New returns a cache under dir; timeout bounds each request.
func New(dir string, timeout time.Duration, l Limits) *Cache {
	return &Cache{dir: dir, limits: l, client: &http.Client{Timeout: timeout}, index: map[string]*repo.IndexFile{}}
}

// IsHelmURL reports whether a chart repository URL is one this package
// reads (HTTP or HTTPS index, or an OCI registry).
func IsHelmURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || IsOCI(u)
}

// Refresh fetches a repository's index.yaml, or for an OCI registry the
// tags of the charts named.
func (c *Cache) Refresh(ctx context.Context, repoURL string, charts []string, cr Credentials) error {
	if IsOCI(repoURL) {
		return c.refreshOCI(ctx, repoURL, charts, cr)
	}
	b, err := c.get(ctx, strings.TrimSuffix(repoURL, "/")+"/index.yaml", cr, c.limits.IndexBytes)
	if err != nil {
		return fmt.Errorf("helm repository %s: index.yaml: %w", repoURL, err)
	}
	idx, err := parseIndex(b)
	if err != nil {
		return fmt.Errorf("helm repository %s: index.yaml: %w", repoURL, err)
	}
	if err := os.MkdirAll(c.indexDir(), 0o700); err == nil {
		_ = os.WriteFile(c.indexFile(repoURL), b, 0o600) // a later start reads it before its first fetch
	}
	c.mu.Lock()
	c.index[repoURL] = idx
	c.mu.Unlock()
	return nil
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
			if v != nil && v.Metadata != nil {
				kept = append(kept, v)
			}
		}
		idx.Entries[name] = kept
	}
	idx.SortEntries()
	return idx, nil
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
		return nil, fmt.Errorf("helm repository %s: chart %s: no version matches %q", repoURL, chart, orLatest(version))
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
		return nil, err
	}
	c.index[repoURL] = idx
	return idx, nil
}

func (c *Cache) indexDir() string { return filepath.Join(c.dir, "index") }

func (c *Cache) indexFile(repoURL string) string {
	return filepath.Join(c.indexDir(), url.PathEscape(repoURL)+".yaml")
}

// get reads u with the credentials, at most limit bytes.
func (c *Cache) get(ctx context.Context, u string, cr Credentials, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if cr.Username != "" || cr.Password != "" {
		req.SetBasicAuth(cr.Username, cr.Password)
	}
	resp, err := c.client.Do(req)
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
