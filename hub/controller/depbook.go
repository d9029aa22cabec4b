package controller

import (
	"slices"
	"sync"
)

// chartDeps records, per application, what its last renders read besides
// its sources: the repositories its charts' dependencies, helmCharts and
// remote bases came from (polled and matched by webhooks like its
// sources), the digests of those charts and the keys of its chart renders
// (kept by the GCs). An application's record is reset when a reconcile
// renders it again, so what it no longer uses is let go; until every
// application has been reconciled since the hub started, the records are
// incomplete and the GCs keep everything.
type chartDeps struct {
	mu      sync.Mutex
	apps    map[string]*appDeps
	keys    map[string]string // render key without dependencies → with them
	settled map[string]bool   // applications reconciled since the start
}

type appDeps struct {
	repos     map[string][]string // repository → charts (none: a Git repository)
	digests   map[string]bool
	chartKeys map[string]bool
}

func (d *chartDeps) app(name string) *appDeps {
	if d.apps == nil {
		d.apps, d.keys, d.settled = map[string]*appDeps{}, map[string]string{}, map[string]bool{}
	}
	if d.apps[name] == nil {
		d.apps[name] = &appDeps{repos: map[string][]string{}, digests: map[string]bool{}, chartKeys: map[string]bool{}}
	}
	return d.apps[name]
}

// reset forgets what app's renders read: a reconcile renders it again.
func (d *chartDeps) reset(app string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.app(app)
	delete(d.apps, app)
	d.settled[app] = true
}

// isSettled says whether every application of apps was reconciled since
// the hub started (what the records say is complete).
func (d *chartDeps) isSettled(apps []string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range apps {
		if !d.settled[a] {
			return false
		}
	}
	return true
}

func (d *chartDeps) record(app string, repos map[string][]string, base, full string, digests []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ad := d.app(app)
	for u, charts := range repos {
		if _, ok := ad.repos[u]; !ok {
			ad.repos[u] = nil
		}
		for _, ch := range charts {
			if !slices.Contains(ad.repos[u], ch) {
				ad.repos[u] = append(ad.repos[u], ch)
			}
		}
	}
	if base != full {
		if len(d.keys) > maxRenderMemo {
			d.keys = map[string]string{}
		}
		d.keys[base] = full
	}
	for _, g := range digests {
		ad.digests[g] = true
	}
}

// addKey records a render key of one of app's chart sources.
func (d *chartDeps) addKey(app, key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.app(app).chartKeys[key] = true
}

// chartKeys returns the render keys of app's chart sources (every
// application's when app is "").
func (d *chartDeps) chartKeys(app string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for a, ad := range d.apps {
		if app == "" || a == app {
			for k := range ad.chartKeys {
				out = append(out, k)
			}
		}
	}
	return out
}

// charts returns the dependency charts app's renders read from repoURL.
func (d *chartDeps) charts(app, repoURL string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ad := d.apps[app]; ad != nil {
		return slices.Clone(ad.repos[repoURL])
	}
	return nil
}

// reads says whether app's renders read repoURL.
func (d *chartDeps) reads(app, repoURL string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ad := d.apps[app]; ad != nil {
		_, ok := ad.repos[repoURL]
		return ok
	}
	return false
}

// repositories returns every repository app's renders read besides its
// sources.
func (d *chartDeps) repositories(app string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	if ad := d.apps[app]; ad != nil {
		for u := range ad.repos {
			out = append(out, u)
		}
	}
	return out
}

// fullKey returns the render key last used for key once dependencies
// were added ("" when none were).
func (d *chartDeps) fullKey(key string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.keys[key]
}

// inUse returns the digests of the charts the last renders fetched.
func (d *chartDeps) inUse() map[string]bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]bool{}
	for _, ad := range d.apps {
		for g := range ad.digests {
			out[g] = true
		}
	}
	return out
}
