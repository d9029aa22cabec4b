package rbac

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strings"

	"github.com/gobwas/glob"
)

// rule is one accepted line: vals without the leading p or g.
type rule struct {
	line  int
	text  string
	ptype string
	vals  []string
}

// policy is a parsed, validated policy CSV.
type policy struct {
	rules []rule
	// globs holds every pattern of the p lines' resource, action and
	// object, compiled: Argo CD's glob match mode (gobwas/glob, no
	// separators, so "*" also matches "/").
	globs map[string]glob.Glob
}

const globMeta = `*?[]{}\!`

// parsePolicy reads lines of Argo CD's policy CSV: "#" comments, blank
// lines, quoted fields. Every refused line is one *LineError, all joined.
func parsePolicy(text string, globs map[string]glob.Glob) ([]rule, error) {
	var rules []rule
	var errs []error
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, reason := parseLine(line, globs)
		if reason != "" {
			errs = append(errs, &LineError{Line: i + 1, Text: line, Reason: reason})
			continue
		}
		r.line, r.text = i+1, line
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

func parseLine(line string, globs map[string]glob.Glob) (rule, string) {
	cr := csv.NewReader(strings.NewReader(line))
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		return rule{}, fmt.Sprintf("not a CSV line: %v", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	switch rec[0] {
	case "p":
		if len(rec) != 6 {
			return rule{}, fmt.Sprintf("a p line has 6 fields (p, SUBJECT, RESOURCE, ACTION, OBJECT, EFFECT), not %d", len(rec))
		}
		return rule{ptype: "p", vals: rec[1:]}, checkP(rec[1], rec[2], rec[3], rec[4], rec[5], globs)
	case "g":
		if len(rec) != 3 {
			return rule{}, fmt.Sprintf("a g line has 3 fields (g, USER_OR_GROUP, role:NAME), not %d", len(rec))
		}
		return rule{ptype: "g", vals: rec[1:]}, checkG(rec[1], rec[2])
	default:
		return rule{}, fmt.Sprintf("unknown line type %q (p or g)", rec[0])
	}
}

func checkP(sub, res, act, obj, eft string, globs map[string]glob.Glob) string {
	if reason := checkSubject(sub); reason != "" {
		return reason
	}
	if sub == AdminSubject {
		return "the admin subject is always allowed everything: a line for it has no effect"
	}
	if _, ok := resourceActions[res]; !ok && res != "*" {
		return fmt.Sprintf("unknown resource %q (%s or *)", res, strings.Join(resourceNames(), ", "))
	}
	if !knownAction(res, act) {
		if res == "*" {
			return fmt.Sprintf("unknown action %q", act)
		}
		return fmt.Sprintf("unknown action %q for %s (%s or *)", act, res, strings.Join(resourceActions[res], ", "))
	}
	if obj == "" {
		return "empty object"
	}
	if projectScoped[res] && !strings.ContainsAny(obj, "/*") {
		return fmt.Sprintf("the object of %s is PROJECT/NAME (globs allowed, e.g. */%s), not %q", res, obj, obj)
	}
	if eft != "allow" && eft != "deny" {
		return fmt.Sprintf("effect %q is neither allow nor deny", eft)
	}
	if proj, _, ok := ParseProjectRole(sub); ok {
		if !projectScoped[res] {
			return fmt.Sprintf("a project role may only be granted applications, applicationsets or rollouts of its project, not %s", res)
		}
		if !strings.HasPrefix(obj, proj+"/") || len(obj) == len(proj)+1 {
			return fmt.Sprintf("a project role's object must be in its project (%s/NAME, globs allowed), not %q", proj, obj)
		}
	}
	for _, pat := range []string{res, act, obj} {
		g, err := glob.Compile(pat)
		if err != nil {
			return fmt.Sprintf("bad glob %q: %v", pat, err)
		}
		globs[pat] = g
	}
	return ""
}

func checkG(sub, role string) string {
	if reason := checkSubject(sub); reason != "" {
		return reason
	}
	if _, _, ok := ParseProjectRole(sub); ok {
		return "a project role cannot be given roles: it is limited to its project's p lines"
	}
	name, ok := strings.CutPrefix(role, "role:")
	if !ok || name == "" {
		return fmt.Sprintf("%q is not a role (role:NAME)", role)
	}
	if sub == AdminSubject && role != "role:admin" {
		return "the admin subject is always role:admin"
	}
	return ""
}

// checkSubject refuses subjects that cannot match anyone as written.
func checkSubject(sub string) string {
	switch {
	case sub == "":
		return "empty subject"
	case sub == "role:":
		return "role without a name (role:NAME)"
	case strings.HasPrefix(sub, "proj:"):
		proj, _, ok := ParseProjectRole(sub)
		if !ok {
			return fmt.Sprintf("a project role's subject is proj:PROJECT:ROLE, not %q", sub)
		}
		if strings.ContainsAny(proj, globMeta+"/") {
			return fmt.Sprintf("project %q of a project role must be a name, not a pattern", proj)
		}
	}
	return ""
}

// checkRolesDefined refuses g lines naming a role that nothing defines: a
// role is defined by a p line for it or a g line giving it another role.
func checkRolesDefined(rules []rule) error {
	defined := map[string]bool{}
	for _, r := range rules {
		if strings.HasPrefix(r.vals[0], "role:") {
			defined[r.vals[0]] = true
		}
	}
	var errs []error
	for _, r := range rules {
		if r.ptype == "g" && !defined[r.vals[1]] {
			errs = append(errs, &LineError{Line: r.line, Text: r.text,
				Reason: fmt.Sprintf("%s is not defined: no p line grants it and it is given no role", r.vals[1])})
		}
	}
	return errors.Join(errs...)
}
