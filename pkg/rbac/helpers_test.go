package rbac

import (
	"fmt"
	"testing"
)

// fakeLookup answers from maps; a missing name is ErrNotFound.
type fakeLookup struct {
	apps, appSets, tokens map[string]string
}

func (l fakeLookup) get(m map[string]string, kind, name string) (string, error) {
	v, ok := m[name]
	if !ok {
		return "", fmt.Errorf("%s %q: %w", kind, name, ErrNotFound)
	}
	return v, nil
}

func (l fakeLookup) ProjectOf(app string) (string, error) { return l.get(l.apps, "application", app) }
func (l fakeLookup) ProjectOfAppSet(name string) (string, error) {
	return l.get(l.appSets, "ApplicationSet", name)
}
func (l fakeLookup) SubjectOfToken(id string) (string, error) { return l.get(l.tokens, "token", id) }

var look = fakeLookup{
	apps:    map[string]string{"guestbook": "team-a", "billing": "team-b", "legacy": ""},
	appSets: map[string]string{"team-a-set": "team-a", "templated": AnyProject},
	tokens:  map[string]string{"tok-alice": "alice", "tok-ci": "proj:team-a:ci"},
}

func mustNew(t *testing.T, csv, defaultRole string) *Enforcer {
	t.Helper()
	e, err := New(csv, defaultRole)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}
