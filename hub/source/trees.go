package source

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// dir is a decoded Git tree: its entries in tree order and by name. Trees
// are addressed by content, so a decoded one never changes and is shared
// by every render of every commit that has it.
type dir struct {
	entries []entry
	byName  map[string]int
}

// trees caches decoded trees by hash. Without it every path lookup decodes
// each directory on the way again (a 1,000-entry directory for every file
// read under it).
type trees struct {
	s  storer.EncodedObjectStorer
	mu sync.Mutex
	m  map[plumbing.Hash]*dir
}

// maxTrees bounds the cache; it starts over when full.
const maxTrees = 1 << 16

func newTrees(s storer.EncodedObjectStorer) *trees {
	return &trees{s: s, m: map[plumbing.Hash]*dir{}}
}

func (c *trees) get(h plumbing.Hash) (*dir, error) {
	c.mu.Lock()
	d, ok := c.m[h]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	t, err := object.GetTree(c.s, h)
	if err != nil {
		return nil, err
	}
	d = &dir{entries: make([]entry, 0, len(t.Entries)), byName: make(map[string]int, len(t.Entries))}
	for _, te := range t.Entries {
		d.byName[te.Name] = len(d.entries)
		d.entries = append(d.entries, entry{name: te.Name, mode: te.Mode, hash: te.Hash})
	}
	c.mu.Lock()
	if len(c.m) >= maxTrees {
		c.m = map[plumbing.Hash]*dir{}
	}
	c.m[h] = d
	c.mu.Unlock()
	return d, nil
}

// find returns the entry called name, or nil.
func (d *dir) find(name string) *entry {
	i, ok := d.byName[name]
	if !ok {
		return nil
	}
	e := d.entries[i]
	return &e
}
