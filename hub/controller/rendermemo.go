package controller

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/render"
)

func hashOf(commit string) plumbing.Hash { return plumbing.NewHash(commit) }

// render renders src at commit, re-using the last render with the same
// inputs when none of the paths it read changed, unless a hard refresh
// marked the key stale.
func (c *Controller) render(ctx context.Context, repo *source.Repo, commit string, src render.Source, url string) ([]*unstructured.Unstructured, error) {
	key := renderKey(url, src)
	// The targets of an application on one commit share its render: the
	// first one finds (or makes) it, the others copy it from memory.
	m, ok := c.renders.Load(key)
	stale := ok && m.(*renderMemo).stale
	if ok && !stale && m.(*renderMemo).commit == commit {
		c.Stats.add(0, 1, 0)
		return m.(*renderMemo).copy(), nil
	}
	v, err, _ := c.renderOnce.Do(key+"@"+commit, func() (any, error) {
		objs, err := c.renderOrReuse(ctx, repo, commit, src, key, stale)
		if err != nil {
			return nil, err
		}
		m := &renderMemo{commit: commit, objs: objs}
		if _, loaded := c.renders.Swap(key, m); !loaded && c.memoSize.Add(1) > maxRenderMemo {
			c.renders.Clear() // bounded: applications come and go
			c.memoSize.Store(0)
		}
		return m, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*renderMemo).copy(), nil
}

// markStale makes the next render of key run again, ignoring what is kept
// in memory and in the store (a hard refresh).
func (c *Controller) markStale(key string) {
	if _, loaded := c.renders.Swap(key, &renderMemo{stale: true}); !loaded && c.memoSize.Add(1) > maxRenderMemo {
		c.renders.Clear()
		c.memoSize.Store(0)
		c.renders.Store(key, &renderMemo{stale: true})
	}
}

// maxRenderMemo bounds the renders kept decoded in memory.
const maxRenderMemo = 4096

// renderMemo is one render key's objects at a commit. They are never
// modified: every user gets a copy. A stale one holds nothing: the key's
// next render runs again (a hard refresh).
type renderMemo struct {
	commit string
	objs   []*unstructured.Unstructured
	stale  bool
}

func (m *renderMemo) copy() []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, len(m.objs))
	for i, u := range m.objs {
		out[i] = u.DeepCopy()
	}
	return out
}

// renderOrReuse returns the stored render when the commit is the same or
// changed none of the paths it read (unless fresh, a hard refresh), else
// renders and stores the result.
func (c *Controller) renderOrReuse(ctx context.Context, repo *source.Repo, commit string, src render.Source, key string, fresh bool) ([]*unstructured.Unstructured, error) {
	tree, err := repo.Tree(hashOf(commit))
	if err != nil {
		return nil, err
	}
	if !fresh {
		rec, err := c.store.GetRender(key)
		switch {
		case err == nil && (rec.Commit == commit || tree.Unchanged(rec.Reads)):
			if objs, derr := decodeObjects(rec.Objects); derr == nil {
				c.Stats.add(0, 1, 0)
				return objs, nil
			}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	rctx, done, err := c.renderSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	start := c.now()
	res, err := c.renderTree(rctx, repo, tree, commit, src)
	observeRender(c.now().Sub(start), err)
	if err != nil {
		return nil, err
	}
	c.Stats.add(1, 0, 0)
	return res.Objects, c.storeRender(key, commit, res.Reads, res.Objects)
}

// observeRender counts a render and its duration.
func observeRender(d time.Duration, err error) {
	renderDuration.Observe(d.Seconds())
	if err != nil {
		renderTotal.WithLabelValues("error").Inc()
		return
	}
	renderTotal.WithLabelValues("ok").Inc()
}

// storeRender keeps a render in the store under key: its objects, the
// commit (or chart digest) and the paths it read.
func (c *Controller) storeRender(key, commit string, reads map[string]string, objs []*unstructured.Unstructured) error {
	rec := &store.RenderRecord{Commit: commit, Reads: reads}
	for _, u := range objs {
		b, err := json.Marshal(u.Object)
		if err != nil {
			return err
		}
		rec.Objects = append(rec.Objects, b)
	}
	return c.store.PutRender(key, rec)
}

func decodeObjects(raw []json.RawMessage) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(raw))
	for _, b := range raw {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// renderSlot waits for one of the RenderWorkers slots and returns the
// render's context (RenderTimeout) and what frees the slot.
func (c *Controller) renderSlot(ctx context.Context) (context.Context, func(), error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	rctx, cancel := context.WithTimeout(ctx, c.opts.RenderTimeout)
	return rctx, func() { cancel(); <-c.sem }, nil
}
