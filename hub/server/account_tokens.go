package server

import (
	"context"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// tokenOwner is whose tokens a request names: a local account (the
// caller's by default) or a project role.
type tokenOwner struct {
	kind, name       string // store.KindUser and the account, or store.KindProject and proj:P:R
	resource, object string // what RBAC guards when the owner is not the caller
}

// owner resolves account/project/role against the caller.
func (a *Accounts) owner(ctx context.Context, account, project, role string) (tokenOwner, error) {
	p, _ := caller(ctx)
	switch {
	case project != "" || role != "":
		if project == "" || role == "" || account != "" {
			return tokenOwner{}, status.Error(codes.InvalidArgument, "project and role: give both, and no account")
		}
		if _, err := a.Store.GetProject(project); err != nil {
			return tokenOwner{}, grpcErr(err)
		}
		o := tokenOwner{kind: store.KindProject, name: "proj:" + project + ":" + role, resource: "projects", object: project}
		return o, a.check(p, o.resource, "update", o.object)
	case account == "" || (p.Kind == store.KindUser && p.Issuer == "" && account == p.Name):
		if p.Kind != store.KindUser || p.Issuer != "" {
			return tokenOwner{}, status.Error(codes.InvalidArgument, "account: the caller is not a local user; name the account")
		}
		return tokenOwner{kind: store.KindUser, name: p.Name}, nil
	}
	if _, err := a.Store.GetAccount(account); err != nil {
		return tokenOwner{}, grpcErr(err)
	}
	o := tokenOwner{kind: store.KindUser, name: account, resource: "accounts", object: account}
	return o, a.check(p, o.resource, "update", o.object)
}

func (o tokenOwner) owns(p store.Principal) bool {
	return p.Kind == o.kind && p.Name == o.name && p.Issuer == ""
}

// CreateToken issues an API token for an account or a project role.
func (a *Accounts) CreateToken(ctx context.Context, r *pb.CreateTokenRequest) (*pb.CreateTokenResponse, error) {
	if r.GetExpiresInSeconds() < 0 {
		return nil, status.Errorf(codes.InvalidArgument, "expires_in_seconds %d: want 0 (never) or more", r.GetExpiresInSeconds())
	}
	o, err := a.owner(ctx, r.GetAccount(), r.GetProject(), r.GetRole())
	if err != nil {
		return nil, err
	}
	now := a.Now().UTC()
	p := store.Principal{Kind: o.kind, Name: o.name, Issued: now, Description: r.GetDescription()}
	if s := r.GetExpiresInSeconds(); s > 0 {
		p.Expires = now.Add(time.Duration(s) * time.Second)
	}
	prefix := "fltu_"
	if o.kind == store.KindProject {
		prefix = "fltp_"
	}
	tok, p, err := a.issue(prefix, p)
	if err != nil {
		return nil, err
	}
	return &pb.CreateTokenResponse{Token: tok, Info: tokenInfo(p)}, nil
}

// ListTokens lists an account's or a project role's tokens and sessions.
func (a *Accounts) ListTokens(ctx context.Context, r *pb.ListTokensRequest) (*pb.ListTokensResponse, error) {
	o, err := a.owner(ctx, r.GetAccount(), r.GetProject(), r.GetRole())
	if err != nil {
		return nil, err
	}
	ps, err := a.Store.Tokens(o.owns)
	if err != nil {
		return nil, grpcErr(err)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Issued.Before(ps[j].Issued) })
	out := &pb.ListTokensResponse{}
	for _, p := range ps {
		out.Tokens = append(out.Tokens, tokenInfo(p))
	}
	return out, nil
}

// DeleteToken revokes a token by id: one's own, or with update on its
// account or project.
func (a *Accounts) DeleteToken(ctx context.Context, r *pb.DeleteTokenRequest) (*pb.DeleteTokenResponse, error) {
	if r.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "id: required")
	}
	ps, err := a.Store.Tokens(func(p store.Principal) bool { return p.ID == r.GetId() })
	if err != nil {
		return nil, grpcErr(err)
	}
	if len(ps) == 0 {
		return nil, status.Errorf(codes.NotFound, "token %q: not found", r.GetId())
	}
	me, _ := caller(ctx)
	for _, p := range ps {
		if err := a.mayRevoke(me, p); err != nil {
			return nil, err
		}
	}
	if _, err := a.Store.DeleteTokens(func(p store.Principal) bool { return p.ID == r.GetId() }); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.DeleteTokenResponse{}, nil
}

// mayRevoke: one's own token, else update on its account or project.
func (a *Accounts) mayRevoke(me, t store.Principal) error {
	switch {
	case t.Kind == me.Kind && t.Name == me.Name && t.Issuer == me.Issuer:
		return nil
	case t.Kind == store.KindUser:
		return a.check(me, "accounts", "update", t.Name)
	case t.Kind == store.KindProject:
		return a.check(me, "projects", "update", projectOfRole(t.Name))
	}
	return status.Errorf(codes.PermissionDenied, "token %s: not an account's or a project role's token", t.ID)
}

// projectOfRole is P of proj:P:R.
func projectOfRole(subject string) string {
	rest, _ := strings.CutPrefix(subject, "proj:")
	project, _, _ := strings.Cut(rest, ":")
	return project
}

func tokenInfo(p store.Principal) *pb.TokenInfo {
	return &pb.TokenInfo{Id: p.ID, Subject: p.Name, Description: p.Description, Issued: timestamp(p.Issued),
		Expires: timestamp(p.Expires), Session: p.Session}
}
