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
// (sha256:HEX). A chart already pulled (same digest) is not fetched again.
func (c *Cache) Pull(ctx context.Context, repoURL string, cv *repo.ChartVersion, cr Credentials) (dir, digest string, err error) {
	if len(cv.URLs) == 0 {
		return "", "", fmt.Errorf("helm repository %s: chart %s %s has no URL", repoURL, cv.Name, cv.Version)
	}
	if !validName(cv.Name) {
		return "", "", fmt.Errorf("chart name %q: not a chart name", cv.Name)
	}
	key := repoURL + "\x00" + cv.Name + "\x00" + cv.Version
	c.mu.Lock()
	known := c.verified[key]
	c.mu.Unlock()
	// Only a digest this cache checked itself for this chart version skips
	// the download: an index cannot point at another repository's chart.
	if want := strings.ToLower(cv.Digest); known != "" && (want == "" || want == known) {
		if dir, ok := c.cached(known, cv.Name); ok {
			c.mu.Lock()
			c.pulledAt[known] = time.Now()
			c.mu.Unlock()
			return dir, "sha256:" + known, nil
		}
	}
	b, err := c.archive(ctx, repoURL, cv, cr)
	if err != nil {
		return "", "", fmt.Errorf("chart %s %s: %w", cv.Name, cv.Version, err)
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	if want := strings.ToLower(cv.Digest); want != "" && want != got {
		return "", "", fmt.Errorf("chart %s %s: digest sha256:%s does not match the index's sha256:%s", cv.Name, cv.Version, got, want)
	}
	dir, err = c.unpacked(b, got, cv.Name)
	if err != nil {
		return "", "", fmt.Errorf("chart %s %s: %w", cv.Name, cv.Version, err)
	}
	c.mu.Lock()
	c.verified[key], c.pulledAt[got] = got, time.Now()
	c.mu.Unlock()
	return dir, "sha256:" + got, nil
}

// unpacked returns the chart of an archive (digest checked), unpacking it
// unless an earlier pull did; a complete digest is never unpacked again.
func (c *Cache) unpacked(archive []byte, digest, name string) (string, error) {
	c.pulls.Lock()
	defer c.pulls.Unlock()
	if _, err := os.Stat(filepath.Join(c.dir, "charts", digest, ".complete")); err != nil {
		if err := c.unpack(archive, digest); err != nil {
			return "", err
		}
	}
	dir, ok := c.cached(digest, name)
	if !ok {
		return "", fmt.Errorf("the archive holds no directory %s/ with a Chart.yaml", name)
	}
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

// cached returns the unpacked chart of a digest, when it is complete.
func (c *Cache) cached(digest, name string) (string, bool) {
	base := filepath.Join(c.dir, "charts", digest)
	if _, err := os.Stat(filepath.Join(base, ".complete")); err != nil {
		return "", false
	}
	dir := filepath.Join(base, name)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		return "", false
	}
	return dir, true
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
// leave it, links and special files, and more than the limits; a marker
// file says it is complete.
func (c *Cache) unpack(archive []byte, digest string) error {
	base := filepath.Join(c.dir, "charts", digest)
	tmp := base + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := c.extract(archive, tmp); err != nil {
		return errors.Join(err, os.RemoveAll(tmp))
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), nil, 0o600); err != nil {
		return err
	}
	if err := os.RemoveAll(base); err != nil { // an incomplete earlier attempt
		return err
	}
	return os.Rename(tmp, base)
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
