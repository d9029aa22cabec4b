package server

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/sso"
	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// SSOSessionCap bounds an SSO session whatever --session-duration says: its
// groups are those of its login, so a change at the provider (a user
// leaving a group) holds at the hub within a day.
const SSOSessionCap = 24 * time.Hour

// ssoLogin verifies an ID token of the hub's provider and issues a session
// for its user. Refused tokens count against the client's address, as
// wrong passwords do.
func (a *Accounts) ssoLogin(ctx context.Context, r *pb.LoginRequest) (*pb.LoginResponse, error) {
	if r.GetUsername() != "" || r.GetPassword() != "" {
		return nil, status.Error(codes.InvalidArgument, "id_token: not with username or password")
	}
	if a.SSO == nil {
		return nil, status.Error(codes.FailedPrecondition, "id_token: this hub has no SSO (--oidc-issuer, --oidc-client-id)")
	}
	now, addr := a.Now(), clientIP(ctx)
	// Counted before the token is checked, as passwords are: concurrent
	// forged tokens cannot pass the limit (nor make the hub fetch the
	// provider's keys without end).
	if wait := a.byAddr.attempt(now, addr); wait > 0 {
		return nil, status.Errorf(codes.ResourceExhausted, "too many failed logins from this address: retry in %s", wait.Round(time.Second))
	}
	id, err := a.SSO.Verify(ctx, r.GetIdToken(), "")
	if err != nil {
		return nil, ssoErr(err)
	}
	a.byAddr.forgive(addr, now)
	tok, p, err := a.startSSO(id)
	if err != nil {
		return nil, err
	}
	noteCaller(ctx, p)
	return &pb.LoginResponse{Token: tok, Expires: timestamp(p.Expires)}, nil
}

// ssoErr is the status of an SSO refusal: the provider unreachable,
// a token refused (saying why), an identity the hub does not take.
func ssoErr(err error) error {
	switch {
	case errors.Is(err, sso.ErrUnavailable):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, sso.ErrRefusedIdentity):
		return status.Error(codes.PermissionDenied, err.Error())
	}
	return status.Error(codes.Unauthenticated, err.Error())
}

// startSSO issues a session for id: a user principal with the provider as
// issuer and the token's groups, for --session-duration, at most
// SSOSessionCap.
func (a *Accounts) startSSO(id sso.Identity) (string, store.Principal, error) {
	// A local account's name is that account's: the policy's lines for it
	// must not reach an SSO user who happens to bear it.
	if _, err := a.Store.GetAccount(id.Name); err == nil {
		return "", store.Principal{}, status.Errorf(codes.PermissionDenied, "SSO user %q: a local account has this name", id.Name)
	}
	now := a.Now()
	p := store.Principal{Kind: store.KindUser, Name: id.Name, Session: true, Issued: now, Expires: now.Add(min(a.SessionTTL, SSOSessionCap)),
		Issuer: id.Issuer, Groups: id.Groups, Description: "SSO session (sub " + id.Subject + ")"}
	return a.issue("flse_", p)
}

// StartSession issues the browser flow's session (sso.Sessions).
func (a *Accounts) StartSession(_ context.Context, id sso.Identity) (string, time.Time, error) {
	tok, p, err := a.startSSO(id)
	return tok, p.Expires, err
}

// EndSession revokes the session of token (sso.Sessions): the browser's
// logout. A token that no longer authenticates is no error; one that is no
// session (an API or admin token put in the cookie) is left alone.
func (a *Accounts) EndSession(token string) error {
	p, err := a.Store.Authenticate(token, a.Now())
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExpired):
		return nil
	case err != nil:
		return err
	case !p.Session || p.ID == "":
		return nil
	}
	_, err = a.Store.DeleteTokens(func(q store.Principal) bool { return q.ID == p.ID })
	return err
}

// GetSettings says whether the hub has SSO, and with which provider and
// clients; never the secret.
func (a *Accounts) GetSettings(context.Context, *pb.GetSettingsRequest) (*pb.GetSettingsResponse, error) {
	if a.SSO == nil {
		return &pb.GetSettingsResponse{}, nil
	}
	c := a.SSO.Config()
	return &pb.GetSettingsResponse{Sso: &pb.SSOSettings{Issuer: c.Issuer, ClientId: c.ClientID, CliClientId: c.CLIClientID,
		Scopes: c.Scopes, LoginPath: a.SSOLoginPath}}, nil
}
