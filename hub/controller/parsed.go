package controller

import (
	"io/fs"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// tree is a source's files as the hub reads them before a render, and
// what identifies them: a repository and commit, or a chart's unpacked
// (content-addressed) directory.
type tree struct {
	fsys fs.FS
	id   string
}

// parses memoizes what the hub reads of a tree before its renders (a
// chart's dependencies, a kustomization's helmCharts and remote bases):
// once per tree and path, not once per reconcile and cluster. Results
// are shared: never modified.
type parses struct {
	m    sync.Map // key → parseResult
	n    atomic.Int64
	once singleflight.Group
}

type parseResult struct {
	v   any
	err error
}

// parsedOnce returns fn's result for what at dir of t, computed once.
func parsedOnce[T any](c *Controller, t tree, what, dir string, fn func() (T, error)) (T, error) {
	key := t.id + "\x00" + what + "\x00" + dir
	if r, ok := c.parses.m.Load(key); ok {
		v, _ := r.(parseResult).v.(T)
		return v, r.(parseResult).err
	}
	r, _, _ := c.parses.once.Do(key, func() (any, error) {
		v, err := fn()
		if c.parses.n.Add(1) > maxRenderMemo {
			c.parses.m.Clear() // bounded: trees come and go
			c.parses.n.Store(0)
		}
		r := parseResult{v: v, err: err}
		c.parses.m.Store(key, r)
		return r, nil
	})
	v, _ := r.(parseResult).v.(T)
	return v, r.(parseResult).err
}
