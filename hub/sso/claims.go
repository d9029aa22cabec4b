package sso

import (
	"fmt"
	"strings"
	"unicode"
)

// maxName bounds a user or group name from a token; maxGroups the groups.
const (
	maxName   = 256
	maxGroups = 1000
)

// IdentityFromClaims reads the user's name and groups from verified claims:
// the name is usernameClaim's string value (the token must hold it; an
// email must be verified: email_verified true); groups are groupsClaim's value, a string or a list
// of strings. It refuses (ErrRefusedIdentity) an email name the token says
// is not verified, a name RBAC reserves (admin,
// role:..., proj:...), and names or groups that are empty, too long or
// hold control characters.
func IdentityFromClaims(claims map[string]any, usernameClaim, groupsClaim string) (Identity, error) {
	sub, _ := claims["sub"].(string)
	if sub == "" {
		return Identity{}, fmt.Errorf("%w: no subject (sub)", ErrRefusedIdentity)
	}
	id := Identity{Subject: sub, Name: sub}
	if usernameClaim != "sub" {
		// No falling back to sub: on some providers users choose it, and a
		// name must not change with what a token happens to hold.
		v, _ := claims[usernameClaim].(string)
		if v == "" {
			return Identity{}, fmt.Errorf("%w: no %q claim (the user name, --oidc-username-claim)", ErrRefusedIdentity, usernameClaim)
		}
		if usernameClaim == "email" && !verified(claims["email_verified"]) {
			return Identity{}, fmt.Errorf("%w: email %q is not verified (email_verified is not true)", ErrRefusedIdentity, v)
		}
		id.Name = v
	}
	if err := checkName("user name", id.Name); err != nil {
		return Identity{}, err
	}
	if id.Name == "admin" || strings.HasPrefix(id.Name, "role:") || strings.HasPrefix(id.Name, "proj:") {
		return Identity{}, fmt.Errorf("%w: user name %q is reserved: RBAC reads admin as the admin token, role:NAME as a role and proj:P:R as a project role", ErrRefusedIdentity, id.Name)
	}
	groups, err := stringList(claims[groupsClaim])
	if err != nil {
		return Identity{}, fmt.Errorf("%w: claim %q: %v", ErrRefusedIdentity, groupsClaim, err)
	}
	if len(groups) > maxGroups {
		return Identity{}, fmt.Errorf("%w: claim %q: %d groups, more than %d", ErrRefusedIdentity, groupsClaim, len(groups), maxGroups)
	}
	for _, g := range groups {
		if err := checkName("group", g); err != nil {
			return Identity{}, err
		}
	}
	id.Groups = groups
	return id, nil
}

// verified says whether email_verified is true (a bool, or the string
// some providers send); a missing claim is not.
func verified(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// stringList is a claim's value as a list: none, one string or a list of
// strings.
func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if x == "" {
			return nil, nil
		}
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("item %d is %s, want strings", i, jsonType(e))
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s, want a string or a list of strings", jsonType(v))
}

// jsonType names a JSON value's type with its article.
func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	}
	return "null"
}

func checkName(what, s string) error {
	if len(s) > maxName {
		return fmt.Errorf("%w: %s of %d bytes, more than %d", ErrRefusedIdentity, what, len(s), maxName)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s %q holds control characters", ErrRefusedIdentity, what, s)
	}
	return nil
}
