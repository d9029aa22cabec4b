package controller

import (
	"sync"

	"github.com/flotilla-gitops/flotilla/hub/declare"
	"github.com/flotilla-gitops/flotilla/pkg/rollout"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// dependents indexes what applications wait for, in memory: dependsOn in
// reverse (application → those that depend on it), and the children of
// each parent (app of apps) with their sync waves. The declaration engine
// notes a child before anything reconciles it, so a child never misses a
// sibling of an earlier wave.
type dependents struct {
	mu       sync.Mutex
	of       map[string]map[string]bool
	parentOf map[string]string
	children map[string]map[string]int // parent → child → wave
}

// note records a's dependencies, parent and wave.
func (d *dependents) note(a *pb.Application) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.forgetLocked(a.GetName())
	for _, dep := range a.GetDependsOn() {
		if d.of[dep] == nil {
			d.of[dep] = map[string]bool{}
		}
		d.of[dep][a.GetName()] = true
	}
	if m := a.GetManagedBy(); m.GetKind() == declare.OwnerApplication {
		if d.children[m.GetName()] == nil {
			d.children[m.GetName()] = map[string]int{}
		}
		d.children[m.GetName()][a.GetName()] = declare.Wave(a)
		d.parentOf[a.GetName()] = m.GetName()
	}
}

// forget drops a deleted application.
func (d *dependents) forget(app string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.forgetLocked(app)
}

func (d *dependents) forgetLocked(app string) {
	if d.of == nil {
		d.of, d.parentOf, d.children = map[string]map[string]bool{}, map[string]string{}, map[string]map[string]int{}
	}
	for _, set := range d.of {
		delete(set, app)
	}
	if p, ok := d.parentOf[app]; ok {
		delete(d.children[p], app)
		delete(d.parentOf, app)
	}
}

// siblingWaves returns the waves of app's siblings (nil without a parent).
func (d *dependents) siblingWaves(app string) (own int, siblings map[string]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.parentOf[app]
	if !ok {
		return 0, nil
	}
	siblings = make(map[string]int, len(d.children[p]))
	for s, w := range d.children[p] {
		if s != app {
			siblings[s] = w
		}
	}
	return d.children[p][app], siblings
}

// list returns the applications to look at again when app changed: those
// that depend on it, and its siblings of the next wave.
func (d *dependents) list(app string) []string {
	d.mu.Lock()
	out := make([]string, 0, len(d.of[app]))
	for a := range d.of[app] {
		out = append(out, a)
	}
	d.mu.Unlock()
	own, sibs := d.siblingWaves(app)
	return append(out, rollout.NextWave(own, sibs)...)
}

// waveDependencies are the children of a's parent in the wave before a's
// (argocd.argoproj.io/sync-wave): a child syncs once they are Synced and
// Healthy, as in Argo CD's app of apps.
func (c *Controller) waveDependencies(a *pb.Application) []string {
	own, sibs := c.deps.siblingWaves(a.GetName())
	return rollout.PreviousWave(own, sibs)
}
