package rbac

import (
	"slices"
	"strings"
)

// Resources and their actions: Argo CD's names where Argo CD has them.
// An "action/..." action (Argo CD's resource actions) is accepted on
// applications so that Argo CD policies load, though no Flotilla call
// checks one yet.
var resourceActions = map[string][]string{
	"applications":    {"get", "create", "update", "delete", "sync", "override"},
	"applicationsets": {"get", "create", "update", "delete"},
	"rollouts":        {"get", "update"},
	"projects":        {"get", "create", "update", "delete"},
	"clusters":        {"get", "create", "update", "delete"},
	"repositories":    {"get", "create", "update", "delete"},
	"accounts":        {"get", "create", "update", "delete"},
	"audit":           {"get"},
}

// projectScoped resources have PROJECT/NAME objects; they are the only
// resources a project role may be granted.
var projectScoped = map[string]bool{"applications": true, "applicationsets": true, "rollouts": true}

// AdminSubject is the admin token's subject: always allowed.
const AdminSubject = "admin"

// DefaultProject is the project of an application that names none.
const DefaultProject = "default"

// AnyProject stands for the project of an object that does not exist or
// whose project is not a literal: "*/NAME" matches only patterns that
// match every project (such as "*/*" or "*").
const AnyProject = "*"

// BuiltinPolicy is loaded before every policy: role:readonly may get
// everything, role:admin may do everything, the admin subject is admin.
const BuiltinPolicy = `p, role:readonly, applications, get, */*, allow
p, role:readonly, applicationsets, get, */*, allow
p, role:readonly, rollouts, get, */*, allow
p, role:readonly, projects, get, *, allow
p, role:readonly, clusters, get, *, allow
p, role:readonly, repositories, get, *, allow
p, role:readonly, accounts, get, *, allow
p, role:readonly, audit, get, *, allow

p, role:admin, applications, *, */*, allow
p, role:admin, applicationsets, *, */*, allow
p, role:admin, rollouts, *, */*, allow
p, role:admin, projects, *, *, allow
p, role:admin, clusters, *, *, allow
p, role:admin, repositories, *, *, allow
p, role:admin, accounts, *, *, allow
p, role:admin, audit, *, *, allow

g, admin, role:admin
`

// Subject is who makes a call.
type Subject struct {
	// Name is the local user, the SSO subject, AdminSubject for the admin
	// token, or proj:PROJECT:ROLE for a project role's token.
	Name string
	// Roles are given directly (an account's roles): "readonly" and
	// "role:readonly" both mean role:readonly.
	Roles []string
	// Groups are SSO groups, matched by the policy's g and p lines.
	Groups []string
}

// Permission is an action on one object of a resource.
type Permission struct {
	Resource, Action, Object string
}

// String gives Argo CD's order: "applications, sync, team-a/guestbook".
func (p Permission) String() string {
	return p.Resource + ", " + p.Action + ", " + p.Object
}

// ProjectObject is the object of an application, ApplicationSet or
// rollout: PROJECT/NAME, the default project when project is "".
func ProjectObject(project, name string) string {
	if project == "" {
		project = DefaultProject
	}
	return project + "/" + name
}

// ParseProjectRole splits a project role's subject proj:PROJECT:ROLE.
func ParseProjectRole(subject string) (project, role string, ok bool) {
	rest, ok := strings.CutPrefix(subject, "proj:")
	if !ok {
		return "", "", false
	}
	project, role, ok = strings.Cut(rest, ":")
	if !ok || project == "" || role == "" || strings.Contains(role, ":") {
		return "", "", false
	}
	return project, role, true
}

// RoleName adds the "role:" prefix to a role given without it.
func RoleName(role string) string {
	if strings.HasPrefix(role, "role:") {
		return role
	}
	return "role:" + role
}

func knownAction(resource, action string) bool {
	if action == "*" {
		return true
	}
	if resource == "*" {
		for r := range resourceActions {
			if knownAction(r, action) {
				return true
			}
		}
		return false
	}
	if resource == "applications" && strings.HasPrefix(action, "action/") && len(action) > len("action/") {
		return true
	}
	return slices.Contains(resourceActions[resource], action)
}

func resourceNames() []string {
	var out []string
	for r := range resourceActions {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}
