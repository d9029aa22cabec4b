package rbac

import (
	"errors"
	"sync"
	"testing"
)

const teamPolicy = `
p, role:team-a, applications, *, team-a/*, allow
p, role:team-a, applications, delete, team-a/prod-*, deny
p, role:team-a, repositories, get, https://github.com/org/team-a-*, allow
p, role:team-a, clusters, get, *, allow
p, role:team-a, clusters, get, prod-*, deny
p, role:deployer, applications, sync, */web-?, allow
p, role:deployer, applications, get, "{team-a,team-b}/*", allow
p, role:no-b, applications, *, team-b/*, deny
p, alice, projects, get, team-a, allow
p, my-org:sre, clusters, update, *, allow
g, my-org:team-a, role:team-a
g, bob, role:deployer
g, role:team-a-lead, role:team-a
g, my-org:leads, role:team-a-lead
g, my-org:contractors, role:no-b
`

func TestEnforce(t *testing.T) {
	e := mustNew(t, teamPolicy, "")
	teamA := Subject{Name: "carol", Groups: []string{"my-org:team-a"}}
	lead := Subject{Name: "dan", Groups: []string{"my-org:leads"}}
	tests := map[string]struct {
		s    Subject
		p    Permission
		want bool
	}{
		"group role glob":         {teamA, Permission{"applications", "sync", "team-a/guestbook"}, true},
		"glob star spans slashes": {teamA, Permission{"applications", "get", "team-a/x/y"}, true},
		"other project":           {teamA, Permission{"applications", "sync", "team-b/guestbook"}, false},
		"prefix is not project":   {teamA, Permission{"applications", "sync", "team-ab/guestbook"}, false},
		"deny wins in role":       {teamA, Permission{"applications", "delete", "team-a/prod-web"}, false},
		"deny spares others":      {teamA, Permission{"applications", "delete", "team-a/dev-web"}, true},
		"repo url glob":           {teamA, Permission{"repositories", "get", "https://github.com/org/team-a-infra"}, true},
		"repo url other":          {teamA, Permission{"repositories", "get", "https://github.com/org/team-b"}, false},
		"cluster deny glob":       {teamA, Permission{"clusters", "get", "prod-east"}, false},
		"cluster allowed":         {teamA, Permission{"clusters", "get", "dev-east"}, true},
		"any-project literal":     {teamA, Permission{"applications", "get", "*/guestbook"}, false},
		"question mark":           {Subject{Name: "bob"}, Permission{"applications", "sync", "team-c/web-1"}, true},
		"question mark one char":  {Subject{Name: "bob"}, Permission{"applications", "sync", "team-c/web-12"}, false},
		"alternatives":            {Subject{Name: "bob"}, Permission{"applications", "get", "team-b/x"}, true},
		"alternatives other":      {Subject{Name: "bob"}, Permission{"applications", "get", "team-c/x"}, false},
		"user p line":             {Subject{Name: "alice"}, Permission{"projects", "get", "team-a"}, true},
		"user p line other":       {Subject{Name: "alice"}, Permission{"projects", "get", "team-b"}, false},
		"group p line":            {Subject{Name: "x", Groups: []string{"my-org:sre"}}, Permission{"clusters", "update", "c1"}, true},
		"role inheritance":        {lead, Permission{"applications", "sync", "team-a/x"}, true},
		"inherited deny":          {lead, Permission{"applications", "delete", "team-a/prod-x"}, false},
		"direct role":             {Subject{Name: "acct", Roles: []string{"team-a"}}, Permission{"applications", "sync", "team-a/x"}, true},
		"direct role prefixed":    {Subject{Name: "acct", Roles: []string{"role:team-a"}}, Permission{"applications", "sync", "team-a/x"}, true},
		"deny across groups": {Subject{Name: "eve", Groups: []string{"my-org:contractors"}, Roles: []string{"admin"}},
			Permission{"applications", "get", "team-b/x"}, false},
		"admin role elsewhere": {Subject{Name: "eve", Groups: []string{"my-org:contractors"}, Roles: []string{"admin"}},
			Permission{"applications", "get", "team-a/x"}, true},
		"no roles":               {Subject{Name: "nobody"}, Permission{"applications", "get", "team-a/x"}, false},
		"no name":                {Subject{Roles: []string{"admin"}}, Permission{"applications", "get", "team-a/x"}, false},
		"admin subject":          {Subject{Name: "admin"}, Permission{"applications", "delete", "team-a/prod-x"}, true},
		"admin any action":       {Subject{Name: "admin"}, Permission{"anything", "at", "all"}, true},
		"group named admin":      {Subject{Name: "x", Groups: []string{"admin"}}, Permission{"clusters", "delete", "c"}, false},
		"group posing as role":   {Subject{Name: "x", Groups: []string{"role:admin"}}, Permission{"clusters", "delete", "c"}, false},
		"name posing as role":    {Subject{Name: "role:admin"}, Permission{"clusters", "delete", "c"}, false},
		"malformed project role": {Subject{Name: "proj:x"}, Permission{"clusters", "get", "c"}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := e.Enforce(tt.s, tt.p); got != tt.want {
				t.Errorf("Enforce(%+v, %v) = %v", tt.s, tt.p, got)
			}
			err := e.Check(tt.s, tt.p)
			var de *DeniedError
			if tt.want != (err == nil) || (err != nil && (!errors.As(err, &de) || de.Permission != tt.p)) {
				t.Errorf("Check = %v", err)
			}
		})
	}
}

func TestDefaultRole(t *testing.T) {
	e := mustNew(t, teamPolicy+"p, role:no-audit, audit, get, *, deny\ng, auditor-less, role:no-audit\n", "readonly")
	tests := map[string]struct {
		s    Subject
		p    Permission
		want bool
	}{
		"default gives get":        {Subject{Name: "nobody"}, Permission{"clusters", "get", "prod"}, true},
		"default gives no update":  {Subject{Name: "nobody"}, Permission{"clusters", "update", "prod"}, false},
		"own roles add to default": {Subject{Name: "carol", Groups: []string{"my-org:team-a"}}, Permission{"applications", "sync", "team-a/x"}, true},
		// Stricter than Argo CD, where the default role's allow cannot be denied.
		"deny beats default":          {Subject{Name: "carol", Groups: []string{"my-org:team-a"}}, Permission{"clusters", "get", "prod-east"}, false},
		"deny by name beats default":  {Subject{Name: "auditor-less"}, Permission{"audit", "get", "*"}, false},
		"project role has no default": {Subject{Name: "proj:team-a:ci"}, Permission{"clusters", "get", "prod"}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := e.Enforce(tt.s, tt.p); got != tt.want {
				t.Errorf("Enforce(%+v, %v) = %v", tt.s, tt.p, got)
			}
		})
	}
}

func TestProjectRoleStaysInItsProject(t *testing.T) {
	e := mustNew(t, `
p, proj:team-a:ci, applications, sync, team-a/*, allow
p, proj:team-a:ci, applications, get, team-a/*, allow
p, proj:team-a:ci, applications, sync, team-a/prod, deny
p, proj:team-a:ci, rollouts, update, team-a/web, allow
g, ci-group, role:admin
`, "readonly")
	ci := Subject{Name: "proj:team-a:ci", Roles: []string{"admin"}, Groups: []string{"ci-group"}}
	tests := map[string]struct {
		p    Permission
		want bool
	}{
		"sync own":           {Permission{"applications", "sync", "team-a/web"}, true},
		"deny own":           {Permission{"applications", "sync", "team-a/prod"}, false},
		"rollout own":        {Permission{"rollouts", "update", "team-a/web"}, true},
		"other project":      {Permission{"applications", "sync", "team-b/web"}, false},
		"roles ignored":      {Permission{"applications", "delete", "team-a/web"}, false},
		"groups ignored":     {Permission{"clusters", "delete", "c"}, false},
		"default ignored":    {Permission{"clusters", "get", "c"}, false},
		"other role of proj": {Permission{"applications", "get", "team-a/web"}, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := e.Enforce(ci, tt.p); got != tt.want {
				t.Errorf("Enforce(%v) = %v", tt.p, got)
			}
		})
	}
	if e.Enforce(Subject{Name: "proj:team-a:other"}, Permission{"applications", "get", "team-a/web"}) {
		t.Error("another role of the project got the ci role's permission")
	}
}

func TestCanGet(t *testing.T) {
	e := mustNew(t, teamPolicy, "")
	s := Subject{Name: "carol", Groups: []string{"my-org:team-a"}}
	var kept []string
	for _, o := range []string{"team-a/web", "team-b/web", "team-a/api", "default/x"} {
		if e.CanGet(s, "applications", o) {
			kept = append(kept, o)
		}
	}
	if len(kept) != 2 || kept[0] != "team-a/web" || kept[1] != "team-a/api" {
		t.Errorf("kept %v", kept)
	}
}

func TestDeniedErrorMessage(t *testing.T) {
	e := mustNew(t, "", "")
	err := e.Check(Subject{Name: "nobody"}, Permission{"applications", "sync", "team-a/guestbook"})
	if got, want := err.Error(), "permission denied: applications, sync, team-a/guestbook"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestEnforceConcurrently is for -race: one Enforcer serves every call.
func TestEnforceConcurrently(t *testing.T) {
	e := mustNew(t, teamPolicy, "readonly")
	s := Subject{Name: "carol", Groups: []string{"my-org:team-a"}}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if !e.Enforce(s, Permission{"applications", "sync", "team-a/x"}) || e.Enforce(s, Permission{"clusters", "get", "prod-1"}) {
					t.Errorf("goroutine %d: wrong decision", i)
					return
				}
			}
		}()
	}
	wg.Wait()
}
