package helmrepo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/repo"
)

// Pull makes the chart cv of the repository available unpacked on disk
// and returns its directory (the chart's root) and the archive's digest
// (sha256:HEX). A chart version this cache pulled before (same digest),
// in this run or an earlier one, is not fetched again; concurrent pulls
// of one version share one download.
func (c *Cache) Pull(ctx context.Context, repoURL string, cv *repo.ChartVersion, cr Credentials) (dir, digest string, err error) {
	if len(cv.URLs) == 0 {
		return "", "", fmt.Errorf("helm repository %s: chart %s %s has no URL", repoURL, cv.Name, cv.Version)
	}
	if !validName(cv.Name) {
		return "", "", fmt.Errorf("chart name %q: not a chart name", cv.Name)
	}
	key, want := repoURL+"\x00"+cv.Name+"\x00"+cv.Version, strings.ToLower(cv.Digest)
	if dir, d, ok := c.pulled(key, want, cv.Name); ok {
		return dir, "sha256:" + d, nil
	}
	v, err := shared(ctx, &c.pulling, key+"\x00"+want, func(ctx context.Context) (any, error) {
		return c.pull(ctx, repoURL, key, cv, cr)
	})
	if err != nil {
		return "", "", fmt.Errorf("chart %s %s: %w", cv.Name, cv.Version, err)
	}
	p := v.(pulledChart)
	return p.dir, "sha256:" + p.digest, nil
}

// Digest returns the digest (sha256:HEX) of chart version cv of the
// repository: its index's, else (OCI registries, indexes without
// digests) the one this cache found when it pulled it; "" before a pull.
func (c *Cache) Digest(repoURL string, cv *repo.ChartVersion) string {
	d := strings.ToLower(cv.Digest)
	if d == "" {
		d = c.recorded(repoURL + "\x00" + cv.Name + "\x00" + cv.Version)
	}
	if d == "" {
		return ""
	}
	return "sha256:" + d
}

type pulledChart struct{ dir, digest string }

// pulled returns the chart of the version key that this run pulled or
// found complete, when its digest is want's (any, want "").
func (c *Cache) pulled(key, want, name string) (string, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.verified[key]
	if _, ok := c.pulledAt[d]; d == "" || !ok || (want != "" && want != d) {
		return "", "", false
	}
	dir := filepath.Join(c.dir, "charts", d, name)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		delete(c.pulledAt, d) // removed behind the cache's back: checked again
		return "", "", false
	}
	c.pulledAt[d] = time.Now()
	return dir, d, true
}

// pull is Pull's work, done once for the pulls of a version under way.
func (c *Cache) pull(ctx context.Context, repoURL, key string, cv *repo.ChartVersion, cr Credentials) (pulledChart, error) {
	want := strings.ToLower(cv.Digest)
	// Only a digest this cache checked itself for this chart version skips
	// the download: an index cannot point at another repository's chart.
	if d := c.recorded(key); d != "" && (want == "" || want == d) {
		if dir, ok := c.onDisk(d, cv.Name); ok {
			return pulledChart{dir, d}, nil
		}
	}
	b, err := c.archive(ctx, repoURL, cv, cr)
	if err != nil {
		return pulledChart{}, err
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	if want != "" && want != got {
		return pulledChart{}, fmt.Errorf("digest sha256:%s does not match the index's sha256:%s", got, want)
	}
	dir, err := c.unpacked(key, b, got, cv.Name)
	if err != nil {
		return pulledChart{}, err
	}
	return pulledChart{dir, got}, nil
}

// onDisk returns the chart name of the digest when its directory is
// complete.
func (c *Cache) onDisk(digest, name string) (string, bool) {
	c.pulls.Lock()
	defer c.pulls.Unlock()
	if !c.checked(digest) {
		return "", false
	}
	dir := filepath.Join(c.dir, "charts", digest, name)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return "", false
	}
	c.mu.Lock()
	c.pulledAt[digest] = time.Now()
	c.mu.Unlock()
	return dir, true
}

// unpacked returns the chart of an archive (digest checked), unpacking it
// unless it is on disk complete, and records the digest as the chart
// version key's.
func (c *Cache) unpacked(key string, archive []byte, digest, name string) (string, error) {
	c.pulls.Lock()
	defer c.pulls.Unlock()
	if !c.checked(digest) {
		if err := c.unpack(archive, digest); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(c.dir, "charts", digest, name)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return "", fmt.Errorf("the archive holds no directory %s/ with a Chart.yaml", name)
	}
	if err := c.record(key, digest); err != nil {
		return "", err
	}
	c.mu.Lock()
	c.pulledAt[digest] = time.Now()
	c.mu.Unlock()
	return dir, nil
}

// archive downloads a chart's archive: from the registry, or from the URL
// the index gives. The repository's credentials and CA go only to its own
// host: a chart on another host is read with neither.
func (c *Cache) archive(ctx context.Context, repoURL string, cv *repo.ChartVersion, cr Credentials) ([]byte, error) {
	if u := cv.URLs[0]; IsOCI(u) {
		if host(u) != host(repoURL) {
			cr = Credentials{}
		}
		return c.pullOCI(u, cr)
	}
	u, err := chartURL(repoURL, cv.URLs[0])
	if err != nil {
		return nil, err
	}
	if !sameHost(repoURL, u) {
		cr = Credentials{}
	}
	return c.get(ctx, repoURL, u, cr, c.limits.ArchiveBytes)
}

// chartURL resolves a chart's URL from the index against the repository's.
func chartURL(repoURL, ref string) (string, error) {
	base, err := url.Parse(strings.TrimSuffix(repoURL, "/") + "/")
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("chart URL %q: %w", ref, err)
	}
	u := base.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("chart URL %q: only http and https are read", ref)
	}
	return u.String(), nil
}

// sameHost reports whether two URLs have one scheme and host: only there
// do a repository's credentials go.
func sameHost(a, b string) bool {
	pa, err1 := url.Parse(a)
	pb, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && pa.Scheme == pb.Scheme && pa.Host == pb.Host
}

// host is a URL's host (and port), "" when it does not parse.
func host(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}

// unpack writes a chart archive under charts/DIGEST, refusing paths that
// leave it, links and special files, and more than the limits: into
// DIGEST.tmp, renamed once complete, with the list of its files (the
// caller holds pulls).
func (c *Cache) unpack(archive []byte, digest string) error {
	base := filepath.Join(c.dir, "charts", digest)
	tmp := base + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	if err := c.extract(archive, tmp); err != nil {
		return errors.Join(err, os.RemoveAll(tmp))
	}
	files, err := listing(tmp)
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, completeFile), files, 0o600)
	}
	if err == nil {
		err = os.RemoveAll(base) // an incomplete or damaged copy
	}
	if err == nil {
		err = os.Rename(tmp, base)
	}
	if err != nil {
		return errors.Join(err, os.RemoveAll(tmp))
	}
	return nil
}

func (c *Cache) extract(archive []byte, dst string) error {
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return fmt.Errorf("not a gzip archive: %w", err)
	}
	tr := tar.NewReader(zr)
	var total int64
	files := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("archive entry %q leaves the chart", h.Name)
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		if files++; files > c.limits.ChartFiles {
			return fmt.Errorf("more than %d files and directories unpacked", c.limits.ChartFiles)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			continue
		case tar.TypeReg:
		default:
			return fmt.Errorf("archive entry %q: only files and directories are allowed in a chart", h.Name)
		}
		if total += h.Size; total > c.limits.ChartBytes {
			return fmt.Errorf("more than %d MiB unpacked", c.limits.ChartBytes>>20)
		}
		if err := writeFile(target, tr, h.Size); err != nil {
			return err
		}
	}
}

func writeFile(target string, r io.Reader, size int64) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		return errors.Join(err, f.Close())
	}
	return f.Close()
}
