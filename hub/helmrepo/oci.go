package helmrepo

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// OCI registries (oci://host/path, a chart at oci://host/path/CHART): the
// chart's tags are its versions (Helm's registry client lists the semver
// ones); they stand in for an index, so that versions resolve as a Helm
// repository's do, and a pull is checked and cached by the archive's
// digest alike. Plain HTTP is used for loopback registries only, and not
// for one given a CA (it speaks TLS).

// IsOCI reports whether a repository URL is an OCI registry.
func IsOCI(u string) bool { return strings.HasPrefix(u, "oci://") }

// ociClient returns a registry client for the registry of u (a repository
// or chart URL), with the credentials and CA stored for it.
func (c *Cache) ociClient(u string, cr Credentials) (*registry.Client, error) {
	base, err := c.transport(u, cr)
	if err != nil {
		return nil, err
	}
	limited := &http.Client{Timeout: c.client.Timeout, Transport: limitTransport{base: base, max: c.limits.ArchiveBytes + 1<<20}}
	// Only the credentials stored for the repository, and only to its
	// host; none when none are stored. Helm's own authorizer would fall
	// back to the hub user's (Helm's and Docker's config.json, credential
	// helpers) whenever the username or password is empty.
	authorizer := auth.Client{Client: limited}
	if cr.Username != "" || cr.Password != "" {
		authorizer.Credential = auth.StaticCredential(host(u), auth.Credential{Username: cr.Username, Password: cr.Password})
	}
	opts := []registry.ClientOption{registry.ClientOptHTTPClient(limited), registry.ClientOptAuthorizer(authorizer),
		// Only Login and Logout use the store; this keeps a broken Helm
		// config of the hub user from failing NewClient.
		registry.ClientOptCredentialsFile(filepath.Join(c.dir, "no-docker-config.json"))}
	if loopback(u) && len(cr.CA) == 0 {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	return registry.NewClient(opts...)
}

func loopback(repoURL string) bool {
	host := strings.SplitN(strings.TrimPrefix(repoURL, "oci://"), "/", 2)[0]
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// refreshOCI lists the tags of each chart of the registry as its index.
func (c *Cache) refreshOCI(ctx context.Context, repoURL string, charts []string, cr Credentials) error {
	cl, err := c.ociClient(repoURL, cr)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(strings.TrimPrefix(repoURL, "oci://"), "/")
	listed := map[string]repo.ChartVersions{}
	for _, name := range charts {
		if err := ctx.Err(); err != nil {
			return err
		}
		tags, err := cl.Tags(base + "/" + name)
		if err != nil {
			return fmt.Errorf("oci registry %s: chart %s: %w", repoURL, name, err)
		}
		listed[name] = nil
		for _, v := range tags {
			listed[name] = append(listed[name], &repo.ChartVersion{Metadata: &chart.Metadata{Name: name, Version: v},
				URLs: []string{"oci://" + base + "/" + name + ":" + v}})
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	idx := repo.NewIndexFile()
	if old, ok := c.index[repoURL]; ok { // other charts of the registry keep their tags
		for name, versions := range old.Entries {
			idx.Entries[name] = versions
		}
	}
	for name, versions := range listed {
		sort.Sort(sort.Reverse(versions)) // as SortEntries, leaving the others' (read by Resolve) alone
		idx.Entries[name] = versions
	}
	c.index[repoURL] = idx
	return nil
}

// pullOCI pulls the chart archive at u (oci://HOST/PATH:TAG), at most
// ArchiveBytes.
func (c *Cache) pullOCI(u string, cr Credentials) ([]byte, error) {
	cl, err := c.ociClient(u, cr)
	if err != nil {
		return nil, err
	}
	res, err := cl.Pull(strings.TrimPrefix(u, "oci://"), registry.PullOptWithChart(true))
	if err != nil {
		return nil, fmt.Errorf("oci registry %s: %w", u, err)
	}
	if res.Chart == nil || int64(len(res.Chart.Data)) > c.limits.ArchiveBytes {
		return nil, fmt.Errorf("chart archive larger than %d MiB, or missing", c.limits.ArchiveBytes>>20)
	}
	return res.Chart.Data, nil
}

// limitTransport ends every response body of base after max bytes: a
// registry cannot make the hub read without end.
type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("response larger than the limit")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
