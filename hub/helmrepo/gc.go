package helmrepo

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// GC removes the unpacked charts whose digest (sha256:HEX) keep does not
// hold, but for those pulled less than grace ago (a render may be reading
// them before any history names them; one not pulled in this run counts
// from when it was unpacked), and the unpacks cut short. It returns how
// many charts it removed.
func (c *Cache) GC(keep map[string]bool, grace time.Duration) (int, error) {
	c.pulls.Lock()
	defer c.pulls.Unlock()
	entries, err := os.ReadDir(filepath.Join(c.dir, "charts"))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	freed, kept := 0, map[string]bool{}
	for _, e := range entries {
		digest, cutShort := strings.CutSuffix(e.Name(), ".tmp") // no unpack is under way: GC holds pulls
		if !cutShort && (keep["sha256:"+digest] || time.Since(c.lastPull(digest, e)) < grace) {
			kept[digest] = true
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.dir, "charts", e.Name())); err != nil {
			return freed, err
		}
		if cutShort {
			continue
		}
		freed++
		delete(c.pulledAt, digest)
		for k, d := range c.verified {
			if d == digest {
				delete(c.verified, k)
			}
		}
	}
	return freed, c.dropRecords(kept)
}

// lastPull is when a pull last returned the chart of digest, or for one
// not pulled in this run when it was unpacked (the caller holds mu).
func (c *Cache) lastPull(digest string, e os.DirEntry) time.Time {
	if t, ok := c.pulledAt[digest]; ok {
		return t
	}
	if info, err := e.Info(); err == nil {
		return info.ModTime()
	}
	return time.Time{} // gone meanwhile
}
