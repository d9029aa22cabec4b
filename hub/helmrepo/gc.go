package helmrepo

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// GC removes the unpacked charts whose digest (sha256:HEX) keep does not
// hold, but for those pulled less than grace ago (a render may be reading
// them before any history names them). It returns how many it removed.
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
	freed := 0
	for _, e := range entries {
		digest := strings.TrimSuffix(e.Name(), ".tmp")
		if keep["sha256:"+digest] || time.Since(c.pulledAt[digest]) < grace {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.dir, "charts", e.Name())); err != nil {
			return freed, err
		}
		freed++
		delete(c.pulledAt, digest)
		for k, d := range c.verified {
			if d == digest {
				delete(c.verified, k)
			}
		}
	}
	return freed, nil
}
