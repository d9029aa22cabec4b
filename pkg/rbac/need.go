package rbac

import (
	"errors"
	"fmt"
)

// Access is how a call is authorized.
type Access int

const (
	// Open calls need no token: Login, the spokes' SpokeService (they
	// authenticate in Connect), gRPC health and reflection.
	Open Access = iota + 1
	// Authenticated calls need a token and nothing more.
	Authenticated
	// Self calls are about the caller's own account: every account may
	// make them; a project role's token is refused (it is no account, and
	// must not mint or list tokens for itself).
	Self
	// Check calls need every one of Need.Permissions, unless the caller
	// is Need.Owner.
	Check
	// List calls need a token; the reply (or stream) keeps only the items
	// the caller may get: CanGet(s, Permissions[0].Resource, item's object).
	List
	// PerObject calls (ConfigService.Apply) need a token; the handler
	// checks each document with ApplyPermissions and refuses the documents
	// denied.
	PerObject
)

var accessNames = map[Access]string{Open: "open", Authenticated: "authenticated", Self: "self",
	Check: "check", List: "list", PerObject: "per-object"}

func (a Access) String() string {
	if n, ok := accessNames[a]; ok {
		return n
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// Need is what one admin call requires.
type Need struct {
	Access Access
	// Permissions: for Check, all are needed; for List, the one with
	// object "*" names the resource each item needs get on; for Self, what
	// a project role's token is refused (with its own name as object).
	Permissions []Permission
	// Owner, for Check, is the account the call is about when one may
	// make it about oneself (UpdatePassword, DeleteToken): a caller named
	// Owner that is not a project role needs nothing more.
	Owner string
	// Roles, for Check, are roles the call gives (CreateAccount): the
	// caller must hold each itself, or role:admin, so that nobody gives
	// more than they have.
	Roles []string
}

// Authorize says whether s may make a call that needs n: nil, a
// *DeniedError naming the first permission refused, or ErrUnauthenticated.
// A zero Need is refused.
func (e *Enforcer) Authorize(s Subject, n Need) error {
	if n.Access == Open {
		return nil
	}
	if s.Name == "" {
		return ErrUnauthenticated
	}
	_, _, projectRole := ParseProjectRole(s.Name)
	switch n.Access {
	case Authenticated, List, PerObject:
		return nil
	case Self:
		if !projectRole {
			return nil
		}
		p := Permission{Resource: "accounts", Action: "update"}
		if len(n.Permissions) > 0 {
			p = n.Permissions[0]
		}
		p.Object = s.Name
		return &DeniedError{Permission: p}
	case Check:
		if n.Owner != "" && n.Owner == s.Name && !projectRole {
			return nil
		}
		if len(n.Permissions) == 0 {
			return errors.New("rbac: a check without permissions (denied)")
		}
		for _, p := range n.Permissions {
			if err := e.Check(s, p); err != nil {
				return err
			}
		}
		for _, r := range n.Roles {
			if !e.Holds(s, r) {
				return &DeniedError{Permission: Permission{Resource: "roles", Action: "give", Object: RoleName(r)}}
			}
		}
		return nil
	default:
		return fmt.Errorf("rbac: %v: unknown access (denied)", n.Access)
	}
}
