package rbac

import "slices"

// RolesOf lists the roles s holds (role:NAME), the default role included:
// what acting as s would give.
func (e *Enforcer) RolesOf(s Subject) []string {
	if s.Name == AdminSubject {
		return []string{"role:admin"}
	}
	rm := e.ce.GetRoleManager()
	var out []string
	for role := range e.roles {
		for _, name := range e.subjectsOf(s) {
			if ok, err := rm.HasLink(name, role); err == nil && ok {
				out = append(out, role)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// NamedInPolicy says whether a policy line (p or g) names subject: such
// a subject may have rights of its own, beyond any role.
func (e *Enforcer) NamedInPolicy(subject string) bool {
	ps, _ := e.ce.GetPolicy()
	gs, _ := e.ce.GetGroupingPolicy()
	for _, line := range append(ps, gs...) {
		if len(line) > 0 && line[0] == subject {
			return true
		}
	}
	return false
}

// MayActAs says whether caller may take over target's credentials
// (create its account, set its password, mint its tokens): only with
// every role target holds, and role:admin when the policy names target
// itself (its own lines are rights no role describes). Otherwise the
// permission to manage accounts would be a way to any role.
func (e *Enforcer) MayActAs(caller, target Subject) error {
	if e.NamedInPolicy(target.Name) && !e.Holds(caller, "role:admin") {
		return &DeniedError{Permission: Permission{Resource: "roles", Action: "give", Object: "admin"}}
	}
	for _, r := range e.RolesOf(target) {
		if !e.Holds(caller, r) {
			return &DeniedError{Permission: Permission{Resource: "roles", Action: "give", Object: r}}
		}
	}
	return nil
}
