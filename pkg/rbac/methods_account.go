package rbac

import (
	"fmt"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func self(action string) Need {
	return Need{Access: Self, Permissions: []Permission{{Resource: "accounts", Action: action}}}
}

func owned(action, account string) Need {
	n := check(perm("accounts", action, account))
	n.Owner = account
	return n
}

// tokens is what acting on tokens (action update to create or delete,
// get to list) of an account or a project role needs; neither named is
// the caller's own.
func tokens(action, account, project, role string) Need {
	if project != "" || role != "" {
		n := check(perm("projects", action, project))
		if account != "" {
			n.Permissions = append(n.Permissions, perm("accounts", action, account))
		}
		return n
	}
	if account != "" {
		return owned(action, account)
	}
	return self(action)
}

func init() {
	authenticated := Need{Access: Authenticated}
	register("AccountService", map[string]mapper{
		"Login":       on(func(*pb.LoginRequest, Lookup) (Need, error) { return Need{Access: Open}, nil }),
		"GetSettings": on(func(*pb.GetSettingsRequest, Lookup) (Need, error) { return Need{Access: Open}, nil }),
		"GetUserInfo": on(func(*pb.GetUserInfoRequest, Lookup) (Need, error) { return authenticated, nil }),
		"CanI":        on(func(*pb.CanIRequest, Lookup) (Need, error) { return authenticated, nil }),
		"CreateAccount": on(func(r *pb.CreateAccountRequest, _ Lookup) (Need, error) {
			n := check(perm("accounts", "create", r.GetName()))
			n.Roles = r.GetRoles()
			return n, nil
		}),
		"ListAccounts": on(func(*pb.ListAccountsRequest, Lookup) (Need, error) { return list("accounts"), nil }),
		"DeleteAccount": on(func(r *pb.DeleteAccountRequest, _ Lookup) (Need, error) {
			return check(perm("accounts", "delete", r.GetName())), nil
		}),
		"UpdatePassword": on(func(r *pb.UpdatePasswordRequest, _ Lookup) (Need, error) {
			if r.GetName() == "" {
				return self("update"), nil
			}
			return owned("update", r.GetName()), nil
		}),
		"CreateToken": on(func(r *pb.CreateTokenRequest, _ Lookup) (Need, error) {
			return tokens("update", r.GetAccount(), r.GetProject(), r.GetRole()), nil
		}),
		"ListTokens": on(func(r *pb.ListTokensRequest, _ Lookup) (Need, error) {
			return tokens("get", r.GetAccount(), r.GetProject(), r.GetRole()), nil
		}),
		"DeleteToken": on(func(r *pb.DeleteTokenRequest, look Lookup) (Need, error) {
			sub, err := found(look.SubjectOfToken(r.GetId()))
			if err != nil {
				return Need{}, fmt.Errorf("subject of token %q: %w", r.GetId(), err)
			}
			if proj, role, ok := ParseProjectRole(sub); ok {
				return tokens("update", "", proj, role), nil
			}
			if sub == AnyProject {
				return check(perm("accounts", "update", "*")), nil
			}
			return owned("update", sub), nil
		}),
		"RotateAdminToken": on(func(*pb.RotateAdminTokenRequest, Lookup) (Need, error) {
			return check(perm("accounts", "update", AdminSubject)), nil
		}),
	})
}
