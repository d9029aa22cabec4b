package rollout

import (
	"strings"
	"testing"
)

func TestDependencyHold(t *testing.T) {
	ready := Dependency{Name: "db", Selects: true, Target: true, Planned: true, Ready: true, Sync: "Synced", Health: "Healthy"}
	with := func(f func(*Dependency)) Dependency { d := ready; f(&d); return d }
	for _, tc := range []struct {
		name string
		deps []Dependency
		want string // substring; "" for no hold
	}{
		{"no dependencies", nil, ""},
		{"ready", []Dependency{ready}, ""},
		{"missing application", []Dependency{{Name: "db", Missing: true}}, "dependency db (no such application)"},
		{"unreadable", []Dependency{with(func(d *Dependency) { d.Err = "store: closed" })}, "dependency db: store: closed"},
		{"deploys elsewhere", []Dependency{{Name: "db"}}, ""},
		{"selects the cluster, no target yet", []Dependency{{Name: "db", Selects: true}}, "dependency db to be deployed on east"},
		{"target with no plan", []Dependency{with(func(d *Dependency) { d.Planned = false })}, "to be deployed on east"},
		{"a newer plan waits", []Dependency{with(func(d *Dependency) { d.Pending = true })}, "dependency db to sync its new revision on east"},
		{"not ready", []Dependency{with(func(d *Dependency) { d.Ready, d.Sync, d.Health = false, "OutOfSync", "Progressing" })},
			"dependency db to be Synced and Healthy on east (now OutOfSync, Progressing)"},
		{"the first holding one is named", []Dependency{ready, {Name: "cache", Missing: true}}, "dependency cache"},
	} {
		got := DependencyHold("east", tc.deps)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
