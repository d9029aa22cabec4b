package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/appset"
	"github.com/flotilla-gitops/flotilla/pkg/rbac"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// RBAC authorizes admin calls with the hub's policy (pkg/rbac decides).
type RBAC struct {
	Enforcer *rbac.Enforcer
	Store    *store.Store
}

type accessKey struct{}

// access is what a call's caller may see: list and watch handlers keep
// the items it may get, Apply the documents it may write.
type access struct {
	enf *rbac.Enforcer
	sub rbac.Subject
}

// Authorize implements Authorizer. A call that lists is let through; its
// handler drops what the caller may not get (canGet).
func (r *RBAC) Authorize(ctx context.Context, p store.Principal, method string, req any) error {
	if p.Kind == store.KindCluster {
		return status.Error(codes.PermissionDenied, "a cluster's token cannot call the admin API")
	}
	msg, _ := req.(proto.Message)
	need, err := rbac.PermissionFor(method, msg, lookup{r.Store})
	if err != nil {
		return status.Errorf(codes.PermissionDenied, "%s: %v", method, err)
	}
	sub, err := r.Subject(p)
	if err != nil {
		return err
	}
	if err := r.Enforcer.Authorize(sub, need); err != nil {
		return rbacErr(err)
	}
	if err := r.credentials(sub, method, req); err != nil {
		return rbacErr(err)
	}
	if a, ok := ctx.Value(accessKey{}).(*access); ok {
		a.enf, a.sub = r.Enforcer, sub
	}
	return nil
}

// Subject is the RBAC subject of a principal: its name, a local user's
// roles, an SSO session's groups.
func (r *RBAC) Subject(p store.Principal) (rbac.Subject, error) {
	s := rbac.Subject{Name: p.Name, Groups: p.Groups}
	if p.Kind == store.KindUser && p.Issuer == "" {
		acct, err := r.Store.GetAccount(p.Name)
		if err != nil {
			return s, status.Error(codes.Unauthenticated, "invalid token")
		}
		s.Roles = acct.Roles
	}
	return s, nil
}

// Allowed answers CanI and AccountService's own checks.
func (r *RBAC) Allowed(p store.Principal, resource, action, object string) bool {
	s, err := r.Subject(p)
	return err == nil && r.Enforcer.Enforce(s, rbac.Permission{Resource: resource, Action: action, Object: object})
}

// Roles are the caller's roles as GetUserInfo shows them: every role it
// holds, through its account, its SSO groups, the policy's g lines or the
// default role (without the "role:" prefix).
func (r *RBAC) Roles(p store.Principal) []string {
	s, err := r.Subject(p)
	if err != nil {
		return nil
	}
	var out []string
	for _, role := range r.Enforcer.RolesOf(s) {
		out = append(out, strings.TrimPrefix(role, "role:"))
	}
	return out
}

func rbacErr(err error) error {
	var denied *rbac.DeniedError
	switch {
	case errors.As(err, &denied):
		return status.Error(codes.PermissionDenied, denied.Error())
	case errors.Is(err, rbac.ErrUnauthenticated):
		return status.Error(codes.Unauthenticated, err.Error())
	}
	return status.Error(codes.PermissionDenied, err.Error())
}

// withAccess gives a call a place for what its caller may see.
func withAccess(ctx context.Context) context.Context {
	return context.WithValue(ctx, accessKey{}, &access{})
}

// canGet says whether the call's caller may get resource's object. A call
// nobody authorized sees nothing.
func canGet(ctx context.Context, resource, object string) bool {
	a, ok := ctx.Value(accessKey{}).(*access)
	return ok && a.enf != nil && a.enf.CanGet(a.sub, resource, object)
}

// mayAll refuses unless the caller holds every permission.
func mayAll(ctx context.Context, perms []rbac.Permission) error {
	a, ok := ctx.Value(accessKey{}).(*access)
	if !ok || a.enf == nil {
		return status.Error(codes.PermissionDenied, "permission denied: not authorized")
	}
	for _, p := range perms {
		if err := a.enf.Check(a.sub, p); err != nil {
			return rbacErr(err)
		}
	}
	return nil
}

// lookup finds objects' projects in the store for pkg/rbac.
type lookup struct{ st *store.Store }

func (l lookup) ProjectOf(app string) (string, error) {
	a, err := l.st.GetApplication(app)
	if err != nil {
		return "", notFound(err)
	}
	return a.GetProject(), nil
}

func (l lookup) ProjectOfAppSet(name string) (string, error) {
	s, err := l.st.GetApplicationSet(name)
	if err != nil {
		return "", notFound(err)
	}
	return appSetProject(s), nil
}

func (l lookup) SubjectOfToken(id string) (string, error) {
	ps, err := l.st.Tokens(func(p store.Principal) bool { return p.ID == id })
	if err != nil {
		return "", err
	}
	if len(ps) == 0 {
		return "", fmt.Errorf("token %s: %w", id, rbac.ErrNotFound)
	}
	return ps[0].Name, nil
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%v: %w", err, rbac.ErrNotFound)
	}
	return err
}

// appSetProject is the project of the applications a set generates:
// rbac.AnyProject unless one literal project holds them all (a templated
// project, or a generator's template setting one, may be any).
func appSetProject(s *pb.ApplicationSet) string {
	p, ok := appset.Project(s.GetSpecJson())
	if !ok {
		return rbac.AnyProject
	}
	return p
}

// credentials refuses calls that would let the caller become another
// account (create it, set its password, mint or list its tokens, rotate
// the admin token) unless the caller already holds what it holds.
func (r *RBAC) credentials(caller rbac.Subject, method string, req any) error {
	target, ok := credentialTarget(method, req)
	if !ok || target == caller.Name {
		return nil
	}
	t := rbac.Subject{Name: target}
	if c, ok := req.(*pb.CreateAccountRequest); ok {
		t.Roles = c.GetRoles()
	} else if acct, err := r.Store.GetAccount(target); err == nil {
		t.Roles = acct.Roles
	}
	return r.Enforcer.MayActAs(caller, t)
}

// credentialTarget is the account whose credentials a call sets or
// reads, if any ("admin" for the admin token).
func credentialTarget(method string, req any) (string, bool) {
	switch r := req.(type) {
	case *pb.CreateAccountRequest:
		return r.GetName(), true
	case *pb.UpdatePasswordRequest:
		return r.GetName(), r.GetName() != ""
	case *pb.CreateTokenRequest:
		return r.GetAccount(), r.GetAccount() != ""
	case *pb.RotateAdminTokenRequest:
		return rbac.AdminSubject, true
	}
	return "", false
}
