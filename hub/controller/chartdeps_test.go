package controller

import (
	"strings"
	"testing"
	"testing/fstest"
)

// What helm dependency build would fetch: Chart.lock's version per entry
// (aliases of one chart take the lock's entries in order), nothing that
// charts/ holds or file:// names; a lock out of sync is refused.
func TestMissingDependencies(t *testing.T) {
	chartYAML := "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" +
		"- {name: redis, version: ~1.0, repository: https://charts.example.com/, alias: old}\n" +
		"- {name: redis, version: ~2.0, repository: https://charts.example.com, alias: new}\n" +
		"- {name: common, version: 0.1.0, repository: file://../common}\n" +
		"- {name: kept, version: 3.0.0, repository: https://charts.example.com}\n" +
		"- {name: packed, version: 1.0.0, repository: https://charts.example.com}\n"
	lock := "dependencies:\n- {name: redis, version: 1.0.4, repository: https://charts.example.com}\n" +
		"- {name: redis, version: 2.0.1, repository: https://charts.example.com}\n"
	base := fstest.MapFS{
		"app/Chart.yaml":              {Data: []byte(chartYAML)},
		"app/charts/kept/Chart.yaml":  {Data: []byte("apiVersion: v2\nname: kept\nversion: 3.0.0\n")},
		"app/charts/packed-1.0.0.tgz": {Data: []byte("x")},
	}
	with := func(lockFile string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		if lockFile != "" {
			m["app/Chart.lock"] = &fstest.MapFile{Data: []byte(lockFile)}
		}
		return m
	}
	deps, err := missingDependencies(with(lock), "app")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range deps {
		got = append(got, d.Alias+"="+d.Name+"@"+d.Version)
	}
	if s := strings.Join(got, ","); s != "old=redis@1.0.4,new=redis@2.0.1" {
		t.Errorf("with a lock: %s", s)
	}
	if deps, err := missingDependencies(with(""), "app"); err != nil || len(deps) != 2 || deps[0].Version != "~1.0" {
		t.Errorf("without a lock: %v %v", deps, err)
	}
	for lockFile, want := range map[string]string{
		"dependencies:\n- {name: redis, version: 1.0.4, repository: https://charts.example.com}\n":                                                                          "no entry for dependency redis",
		"dependencies:\n- {name: redis, version: 1.1.0, repository: https://charts.example.com}\n- {name: redis, version: 2.0.1, repository: https://charts.example.com}\n": `pins redis 1.1.0, outside "~1.0"`,
	} {
		if _, err := missingDependencies(with(lockFile), "app"); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "app/Chart.lock: out of sync") {
			t.Errorf("lock %q: %v, want %q", lockFile, err, want)
		}
	}
}

// What an application's renders read is recorded anew at each reconcile:
// a dependency it dropped is let go (no longer polled, its chart no longer
// kept); until every application was reconciled since the start, the
// records are not complete.
func TestDependencyRecordsPerReconcile(t *testing.T) {
	var d chartDeps
	if d.isSettled([]string{"web"}) {
		t.Fatal("settled before any reconcile")
	}
	d.reset("web")
	d.record("web", map[string][]string{"https://charts.example.com": {"redis"}, "https://git.example.com/bases.git": nil}, "", "", []string{"sha256:aa"})
	d.addKey("web", "k1")
	if !d.isSettled([]string{"web"}) || d.isSettled([]string{"web", "api"}) {
		t.Error("settled: want web only")
	}
	if !d.reads("web", "https://git.example.com/bases.git") || len(d.charts("web", "https://charts.example.com")) != 1 || !d.inUse()["sha256:aa"] || len(d.chartKeys("")) != 1 {
		t.Errorf("recorded: %+v", d.apps["web"])
	}
	d.reset("web") // the next reconcile reads no dependency
	if d.reads("web", "https://charts.example.com") || len(d.inUse()) != 0 || len(d.chartKeys("web")) != 0 || len(d.repositories("web")) != 0 {
		t.Errorf("after a reconcile without dependencies: %+v", d.apps["web"])
	}
}

// A revision of several sources is shortened source by source.
func TestShortRevision(t *testing.T) {
	for in, want := range map[string]string{
		"6.7.1:3f2c1d0e9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e": "6.7.1:3f2c1d0e9b8a",
		"3f2c1d0e9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e":       "3f2c1d0e9b8a",
	} {
		if got := shortRevision(in); got != want {
			t.Errorf("shortRevision(%s) = %s, want %s", in, got, want)
		}
	}
}
