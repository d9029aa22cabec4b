package rbac

import (
	"errors"
	"strings"
	"testing"
)

func TestNewAcceptsArgoCDFormat(t *testing.T) {
	csv := `
# team alpha syncs its apps
p, my-org:team-alpha, applications, sync, team-a/*, allow

  p , role:repo-reader , repositories , get , "https://github.com/org/a,b", allow
p, role:dev, applications, action/apps/Deployment/restart, team-a/*, allow
p, role:dev, *, get, *, allow
p, role:dev, applications, *, team-a/*, allow
p, role:dev, applications, *, team-a/*, allow
p, proj:team-a:ci, applications, sync, team-a/*, deny
p, proj:team-a:ci, rollouts, update, team-a/guestbook, allow
g, my-org:team-beta, role:dev
g, role:dev, role:readonly
g, admin, role:admin
`
	e := mustNew(t, csv, "")
	s := Subject{Name: "x", Groups: []string{"other"}}
	if !e.Enforce(Subject{Name: "role-less", Roles: []string{"repo-reader"}},
		Permission{"repositories", "get", "https://github.com/org/a,b"}) {
		t.Error("a quoted field with a comma was not read as one field")
	}
	if e.Enforce(s, Permission{"applications", "get", "team-a/x"}) {
		t.Error("a subject with no roles was allowed")
	}
	for _, r := range []string{"dev", "role:dev", "readonly", "admin", "repo-reader"} {
		if !e.HasRole(r) {
			t.Errorf("HasRole(%q) = false", r)
		}
	}
	if e.HasRole("typo") {
		t.Error(`HasRole("typo") = true`)
	}
}

func TestNewRefusesLines(t *testing.T) {
	tests := map[string]struct {
		csv    string
		line   int
		reason string
	}{
		"too few fields":        {"\n# c\np, role:x, applications, get, */*", 3, "a p line has 6 fields"},
		"too many fields":       {"p, role:x, applications, get, */*, allow, x", 1, "a p line has 6 fields"},
		"g fields":              {"g, alice", 1, "a g line has 3 fields"},
		"line type":             {"x, alice, role:admin", 1, `unknown line type "x"`},
		"unknown resource":      {"p, role:x, logs, get, */*, allow", 1, `unknown resource "logs"`},
		"unknown action":        {"p, role:x, clusters, sync, *, allow", 1, `unknown action "sync" for clusters (get, create, update, delete or *)`},
		"action on any":         {"p, role:x, *, fly, *, allow", 1, `unknown action "fly"`},
		"audit create":          {"p, role:x, audit, create, *, allow", 1, `unknown action "create" for audit`},
		"effect":                {"p, role:x, clusters, get, *, permit", 1, `effect "permit" is neither allow nor deny`},
		"g without role prefix": {"g, alice, admin", 1, `"admin" is not a role (role:NAME)`},
		"g empty role":          {"g, alice, role:", 1, `"role:" is not a role`},
		"undefined role":        {"g, alice, role:typo", 1, "role:typo is not defined"},
		"app object":            {"p, role:x, applications, get, guestbook, allow", 1, "the object of applications is PROJECT/NAME"},
		"empty object":          {"p, role:x, clusters, get, , allow", 1, "empty object"},
		"bad glob":              {"p, role:x, clusters, get, prod-[, allow", 1, `bad glob "prod-["`},
		"bad csv":               {`p, role:x, clusters, get, "prod, allow`, 1, "not a CSV line"},
		"admin p line":          {"p, admin, clusters, delete, *, deny", 1, "the admin subject is always allowed"},
		"admin g line":          {"g, admin, role:readonly", 1, "the admin subject is always role:admin"},
		"role without name":     {"p, role:, clusters, get, *, allow", 1, "role without a name"},
		"project role subject":  {"p, proj:team-a, applications, get, team-a/*, allow", 1, "proj:PROJECT:ROLE"},
		"project pattern":       {"p, proj:team-*:ci, applications, get, team-a/*, allow", 1, "must be a name, not a pattern"},
		"project role resource": {"p, proj:team-a:ci, clusters, get, *, allow", 1, "a project role may only be granted applications, applicationsets or rollouts"},
		"project role any res":  {"p, proj:team-a:ci, *, get, team-a/*, allow", 1, "may only be granted applications"},
		"project role object":   {"p, proj:team-a:ci, applications, get, */*, allow", 1, "must be in its project (team-a/NAME"},
		"project prefix only":   {"p, proj:team-a:ci, applications, get, team-a*, allow", 1, "must be in its project"},
		"project empty name":    {"p, proj:team-a:ci, applications, get, team-a/, allow", 1, "must be in its project"},
		"project role g line":   {"p, role:x, clusters, get, *, allow\ng, proj:team-a:ci, role:x", 2, "a project role cannot be given roles"},
		"later line":            {"p, role:x, clusters, get, *, allow\n\n\np, role:x, clusters, get, *, alow", 4, `effect "alow"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(tt.csv, "")
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("New: %v, want a *LineError", err)
			}
			if le.Line != tt.line || !strings.Contains(le.Reason, tt.reason) {
				t.Errorf("line %d: %q, want line %d: %q", le.Line, le.Reason, tt.line, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "policy line ") {
				t.Errorf("message %q does not name the line", err)
			}
		})
	}
}

func TestNewRefusesEveryBadLine(t *testing.T) {
	_, err := New("p, role:x, logs, get, *, allow\np, role:x, clusters, get, *, allow\ng, bob, admin\n", "")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"policy line 1: p, role:x, logs, get, *, allow: unknown resource", "policy line 3: g, bob, admin:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "line 2") {
		t.Errorf("%q names a good line", msg)
	}
}

func TestNewDefaultRole(t *testing.T) {
	for _, r := range []string{"", "readonly", "role:readonly", "role:admin"} {
		if _, err := New("", r); err != nil {
			t.Errorf("New(%q): %v", r, err)
		}
	}
	if _, err := New("", "role:nobody"); err == nil || !strings.Contains(err.Error(), "default role role:nobody is not defined") {
		t.Errorf("undefined default role: %v", err)
	}
}

func TestBuiltinPolicyCoversEveryResource(t *testing.T) {
	e := mustNew(t, "", "")
	admin := Subject{Name: "a", Roles: []string{"admin"}}
	ro := Subject{Name: "r", Roles: []string{"readonly"}}
	for res, acts := range resourceActions {
		obj := "x"
		if projectScoped[res] {
			obj = "p/x"
		}
		for _, act := range append(acts, "action/apps/Deployment/restart") {
			if act == "action/apps/Deployment/restart" && res != "applications" {
				continue
			}
			p := Permission{res, act, obj}
			if !e.Enforce(admin, p) {
				t.Errorf("role:admin may not %v", p)
			}
			if got := e.Enforce(ro, p); got != (act == "get") {
				t.Errorf("role:readonly %v: %v", p, got)
			}
		}
	}
}
