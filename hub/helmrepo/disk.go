package helmrepo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The cache on disk, under its directory:
//
//	index/URL.yaml           a repository's last index.yaml
//	charts/DIGEST/NAME/      a chart, from the archive of SHA-256 DIGEST
//	charts/DIGEST/.complete  the files of charts/DIGEST and their sizes
//	charts/DIGEST.tmp/       an unpack under way, or cut short
//	verified/KEY             the DIGEST this cache found for a chart version
//	                         of a repository (KEY: their SHA-256)
//
// An archive is unpacked into DIGEST.tmp once its digest was checked, and
// renamed to DIGEST when every file is written and listed in .complete:
// a DIGEST directory whose files are those .complete lists is that
// archive, complete, and a pull (in this run or after a restart) uses it
// without a request. Its files are compared with the list once a run,
// before the first use: a directory missing a file, or with one of
// another size, or without .complete, is never used (the archive is
// downloaded and unpacked again); a DIGEST.tmp never is (the next unpack
// or GC removes it).
//
// The directory alone does not let a chart version use it: only the
// digest this cache found in the version's own archive (verified/) does,
// so that a repository's index cannot point at a chart pulled from
// another repository.

// completeFile lists the files of an unpacked chart: written last, before
// the rename.
const completeFile = ".complete"

// listing is what completeFile holds for dir: every file under it but
// completeFile, with its size, in lexical order.
func listing(dir string) ([]byte, error) {
	var b bytes.Buffer
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || d.IsDir() || rel == completeFile {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", rel)
		}
		fmt.Fprintf(&b, "%d %q\n", info.Size(), filepath.ToSlash(rel))
		return nil
	})
	return b.Bytes(), err
}

// checked reports whether charts/DIGEST is complete: this run unpacked or
// checked it, or its files are those it lists (the caller holds pulls).
func (c *Cache) checked(digest string) bool {
	c.mu.Lock()
	_, ok := c.pulledAt[digest]
	c.mu.Unlock()
	if ok {
		return true
	}
	base := filepath.Join(c.dir, "charts", digest)
	want, err := os.ReadFile(filepath.Join(base, completeFile))
	if err != nil {
		return false // none: unpacked again
	}
	got, err := listing(base)
	return err == nil && bytes.Equal(got, want)
}

func (c *Cache) recordFile(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, "verified", hex.EncodeToString(sum[:]))
}

// recorded returns the digest this cache found in the archive of the
// chart version key, in this run or an earlier one; "" when none.
func (c *Cache) recorded(key string) string {
	c.mu.Lock()
	d, ok := c.verified[key]
	c.mu.Unlock()
	if ok {
		return d
	}
	b, err := os.ReadFile(c.recordFile(key))
	if d = string(b); err != nil || !hexDigest.MatchString(d) {
		return "" // none (or unreadable): downloaded, and recorded anew
	}
	d = strings.ToLower(d)
	c.mu.Lock()
	c.verified[key] = d
	c.mu.Unlock()
	return d
}

// record keeps digest as the chart version key's, in memory and on disk
// (the caller holds pulls).
func (c *Cache) record(key, digest string) error {
	dir := filepath.Join(c.dir, "verified")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.WriteString(digest)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.recordFile(key))
	}
	if err != nil {
		return errors.Join(fmt.Errorf("recording the digest: %w", err), os.Remove(f.Name()))
	}
	c.mu.Lock()
	c.verified[key] = digest
	c.mu.Unlock()
	return nil
}

// dropRecords removes the records of digests that keep does not hold (the
// caller holds pulls: GC).
func (c *Cache) dropRecords(keep map[string]bool) error {
	dir := filepath.Join(c.dir, "verified")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if b, err := os.ReadFile(p); err == nil && keep[strings.ToLower(string(b))] {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}
