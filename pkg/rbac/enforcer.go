package rbac

import (
	"fmt"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/gobwas/glob"
)

// The model is Argo CD's, but the request's subject is the set of names
// the caller goes by (its name, groups, roles and the default role), so
// that a deny reaching any of them wins over an allow reaching another.
const modelText = `
[request_definition]
r = sub, res, act, obj

[policy_definition]
p = sub, res, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = anySubject(r.sub, p.sub) && patternMatch(r.res, p.res) && patternMatch(r.act, p.act) && patternMatch(r.obj, p.obj)
`

// subjects is the request's sub: the names one caller goes by.
type subjects []string

// Enforcer decides with one loaded policy. It is immutable and safe for
// concurrent use; load a changed policy with New and swap.
type Enforcer struct {
	ce          *casbin.Enforcer
	defaultRole string
	roles       map[string]bool
}

// New loads BuiltinPolicy and policyCSV (Argo CD's policy.csv format) and
// gives defaultRole (Argo CD's policy.default: "", "readonly" or
// "role:readonly", ...) to every authenticated subject but project roles.
// Every refused line is a *LineError (all of them, joined).
func New(policyCSV string, defaultRole string) (*Enforcer, error) {
	globs := map[string]glob.Glob{}
	builtin, err := parsePolicy(BuiltinPolicy, globs)
	if err != nil {
		return nil, fmt.Errorf("builtin policy: %w", err)
	}
	user, err := parsePolicy(policyCSV, globs)
	if err != nil {
		return nil, err
	}
	rules := append(builtin, user...)
	if err := checkRolesDefined(rules); err != nil {
		return nil, err
	}
	e := &Enforcer{roles: map[string]bool{}}
	for _, r := range rules {
		if strings.HasPrefix(r.vals[0], "role:") {
			e.roles[r.vals[0]] = true
		}
	}
	if defaultRole != "" {
		e.defaultRole = RoleName(defaultRole)
		if !e.roles[e.defaultRole] {
			return nil, fmt.Errorf("default role %s is not defined by the policy", e.defaultRole)
		}
	}
	if e.ce, err = newCasbin(rules, globs); err != nil {
		return nil, err
	}
	return e, nil
}

func newCasbin(rules []rule, globs map[string]glob.Glob) (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("rbac model: %w", err)
	}
	ce, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("rbac model: %w", err)
	}
	rm := ce.GetRoleManager()
	ce.AddFunction("anySubject", func(args ...any) (any, error) {
		subs, _ := args[0].(subjects)
		role, _ := args[1].(string)
		for _, s := range subs {
			if ok, err := rm.HasLink(s, role); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	})
	ce.AddFunction("patternMatch", func(args ...any) (any, error) {
		value, _ := args[0].(string)
		pattern, _ := args[1].(string)
		if g, ok := globs[pattern]; ok {
			return g.Match(value), nil
		}
		return value == pattern, nil
	})
	var ps, gs [][]string
	seen := map[string]bool{}
	for _, r := range rules {
		key := r.ptype + "\x00" + strings.Join(r.vals, "\x00")
		if seen[key] {
			continue
		}
		seen[key] = true
		if r.ptype == "p" {
			ps = append(ps, r.vals)
		} else {
			gs = append(gs, r.vals)
		}
	}
	if _, err := ce.AddPolicies(ps); err != nil {
		return nil, fmt.Errorf("load policy: %w", err)
	}
	if len(gs) > 0 {
		if _, err := ce.AddGroupingPolicies(gs); err != nil {
			return nil, fmt.Errorf("load policy: %w", err)
		}
	}
	return ce, nil
}

// HasRole says whether the policy defines role ("NAME" or "role:NAME"),
// for refusing an account's unknown role.
func (e *Enforcer) HasRole(role string) bool { return e.roles[RoleName(role)] }

// subjectsOf is every name s goes by. A project role goes by its name
// only: its roles, groups and the default role do not apply, so it stays
// within its project. A group in a reserved namespace (admin, role:,
// proj:) is ignored, so an SSO group cannot pose as one.
func (e *Enforcer) subjectsOf(s Subject) subjects {
	if _, _, ok := ParseProjectRole(s.Name); ok {
		return subjects{s.Name}
	}
	subs := subjects{s.Name}
	for _, g := range s.Groups {
		if g != "" && g != AdminSubject && !strings.HasPrefix(g, "role:") && !strings.HasPrefix(g, "proj:") {
			subs = append(subs, g)
		}
	}
	for _, r := range s.Roles {
		if r != "" {
			subs = append(subs, RoleName(r))
		}
	}
	if e.defaultRole != "" {
		subs = append(subs, e.defaultRole)
	}
	return subs
}

// Enforce says whether s may have p. The admin subject may have anything;
// a subject without a name, or whose name poses as a role (role:...) or
// as a malformed project role (proj:...), nothing. A deny line reaching
// any name s goes by wins over every allow.
func (e *Enforcer) Enforce(s Subject, p Permission) bool {
	switch {
	case s.Name == AdminSubject:
		return true
	case s.Name == "", strings.HasPrefix(s.Name, "role:"):
		return false
	case strings.HasPrefix(s.Name, "proj:"):
		if _, _, ok := ParseProjectRole(s.Name); !ok {
			return false
		}
	}
	ok, err := e.ce.Enforce(e.subjectsOf(s), p.Resource, p.Action, p.Object)
	return err == nil && ok
}

// Holds says whether s holds role ("NAME" or "role:NAME"): directly, by
// a group, by inheritance or as the default role. The admin subject and
// holders of role:admin hold every role. A project role holds none.
func (e *Enforcer) Holds(s Subject, role string) bool {
	if s.Name == AdminSubject {
		return true
	}
	if s.Name == "" || strings.HasPrefix(s.Name, "proj:") || strings.HasPrefix(s.Name, "role:") {
		return false
	}
	rm := e.ce.GetRoleManager()
	for _, name := range e.subjectsOf(s) {
		for _, want := range []string{RoleName(role), "role:admin"} {
			if ok, err := rm.HasLink(name, want); err == nil && ok {
				return true
			}
		}
	}
	return false
}

// Check is Enforce as an error: nil, or a *DeniedError holding p.
func (e *Enforcer) Check(s Subject, p Permission) error {
	if e.Enforce(s, p) {
		return nil
	}
	return &DeniedError{Permission: p}
}

// CanGet says whether s may get object of resource: the filter of list
// and watch replies (Need.Access List).
func (e *Enforcer) CanGet(s Subject, resource, object string) bool {
	return e.Enforce(s, Permission{Resource: resource, Action: "get", Object: object})
}
