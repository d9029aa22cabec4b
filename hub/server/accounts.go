package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/sso"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/hub/validate"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Accounts serves AccountService: local users, sessions, API tokens.
type Accounts struct {
	pb.UnimplementedAccountServiceServer
	Store *store.Store
	// SessionTTL is how long a login's session token lasts.
	SessionTTL time.Duration
	// AdminTokenFile is where a rotated admin token is written (0600);
	// FromFile says the token comes from --admin-token-file instead and
	// cannot be rotated through the API.
	AdminTokenFile string
	FromFile       bool
	// Allowed answers CanI and checks what depends on whose account or
	// token a call names (the hub's RBAC); nil: the admin token only.
	Allowed func(p store.Principal, resource, action, object string) bool
	Roles   func(p store.Principal) []string // the caller's roles, for GetUserInfo
	// KnownRole says whether the policy defines a role (admin, readonly,
	// or one of --rbac-policy); nil: every role is known.
	KnownRole func(role string) bool
	Now       func() time.Time
	// SSO verifies ID tokens for Login (nil: no SSO); SSOLoginPath is
	// where the HTTP listener starts the browser flow ("" when it does
	// not), for GetSettings.
	SSO          *sso.SSO
	SSOLoginPath string
	// byUser and byAddr limit failed logins per user name and per client
	// address (more per address: people share addresses).
	byUser, byAddr *loginLimiter
}

// NewAccounts serves accounts with Argo CD's login limits.
func NewAccounts(st *store.Store, sessionTTL time.Duration) *Accounts {
	perAddr := DefaultLoginLimits()
	perAddr.MaxFailures *= 6
	return &Accounts{Store: st, SessionTTL: sessionTTL, Now: time.Now, byUser: newLoginLimiter(DefaultLoginLimits()), byAddr: newLoginLimiter(perAddr)}
}

// Password rules: bcrypt reads 72 bytes at most.
const (
	minPassword = 8
	maxPassword = 72
)

func checkPassword(field, pw string) error {
	if len(pw) < minPassword || len(pw) > maxPassword {
		return status.Errorf(codes.InvalidArgument, "%s: %d bytes; want %d to %d", field, len(pw), minPassword, maxPassword)
	}
	return nil
}

// Login checks a local user's password, or an SSO ID token, and returns a
// session token.
func (a *Accounts) Login(ctx context.Context, r *pb.LoginRequest) (*pb.LoginResponse, error) {
	if r.GetIdToken() != "" {
		return a.ssoLogin(ctx, r)
	}
	now := a.Now()
	user, addr := r.GetUsername(), clientIP(ctx)
	if len(user) > maxUsername {
		return nil, status.Error(codes.Unauthenticated, "invalid username or password")
	}
	if wait := a.byAddr.attempt(now, addr); wait > 0 {
		return nil, tooMany(user, wait)
	}
	if wait := a.byUser.attempt(now, user); wait > 0 {
		return nil, tooMany(user, wait)
	}
	acct, err := a.Store.GetAccount(user)
	if err == nil {
		err = bcrypt.CompareHashAndPassword(acct.PasswordHash, []byte(r.GetPassword()))
	} else if errors.Is(err, store.ErrNotFound) {
		// The same work as a wrong password: no timing says which names exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(r.GetPassword()))
	}
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, "invalid username or password")
	}
	a.byUser.succeeded(user)
	a.byAddr.forgive(addr, now)
	p := store.Principal{Kind: store.KindUser, Name: acct.Name, Session: true, Issued: now, Expires: now.Add(a.SessionTTL)}
	tok, p, err := a.issue("flse_", p)
	if err != nil {
		return nil, err
	}
	noteCaller(ctx, p)
	return &pb.LoginResponse{Token: tok, Expires: timestamp(p.Expires)}, nil
}

// maxUsername bounds a login's user name (accounts are DNS labels).
const maxUsername = 253

func tooMany(user string, wait time.Duration) error {
	return status.Errorf(codes.ResourceExhausted, "too many failed logins for %q or from this address: retry in %s", user, wait.Round(time.Second))
}

// dummyHash is compared against when the user does not exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("flotilla-no-such-user"), bcrypt.DefaultCost)

// issue stores a new token for p under a fresh id and returns it.
func (a *Accounts) issue(prefix string, p store.Principal) (string, store.Principal, error) {
	tok, err := NewToken(prefix)
	if err != nil {
		return "", p, err
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return "", p, err
	}
	p.ID = hex.EncodeToString(id)
	if err := a.Store.PutToken(tok, p); err != nil {
		return "", p, grpcErr(err)
	}
	return tok, p, nil
}

// GetUserInfo says who the caller is.
func (a *Accounts) GetUserInfo(ctx context.Context, _ *pb.GetUserInfoRequest) (*pb.GetUserInfoResponse, error) {
	p, _ := caller(ctx)
	issuer := "local"
	if p.Issuer != "" {
		issuer = p.Issuer
	}
	var roles []string
	if a.Roles != nil {
		roles = a.Roles(p)
	}
	return &pb.GetUserInfoResponse{Subject: p.Name, Groups: p.Groups, Roles: roles, Issuer: issuer}, nil
}

// CreateAccount adds a local user.
func (a *Accounts) CreateAccount(_ context.Context, r *pb.CreateAccountRequest) (*pb.CreateAccountResponse, error) {
	if err := validate.Label("account", r.GetName()); err != nil {
		return nil, err
	}
	if r.GetName() == "admin" {
		return nil, status.Error(codes.InvalidArgument, `account "admin": the name is the admin token's`)
	}
	if err := checkPassword("password", r.GetPassword()); err != nil {
		return nil, err
	}
	for _, role := range r.GetRoles() {
		if a.KnownRole != nil && !a.KnownRole(role) {
			return nil, status.Errorf(codes.InvalidArgument, "roles: %q is no role of the RBAC policy (admin, readonly, or a role:NAME of --rbac-policy)", role)
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(r.GetPassword()), bcrypt.DefaultCost)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "hash: %v", err)
	}
	acct := store.Account{Name: r.GetName(), PasswordHash: hash, Roles: r.GetRoles(), Created: a.Now().UTC()}
	if err := a.Store.CreateAccount(acct); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.CreateAccountResponse{Account: accountProto(acct)}, nil
}

// ListAccounts lists the local users.
func (a *Accounts) ListAccounts(ctx context.Context, _ *pb.ListAccountsRequest) (*pb.ListAccountsResponse, error) {
	as, err := a.Store.ListAccounts()
	if err != nil {
		return nil, grpcErr(err)
	}
	out := &pb.ListAccountsResponse{}
	for _, acct := range as {
		if canGet(ctx, "accounts", acct.Name) {
			out.Accounts = append(out.Accounts, accountProto(acct))
		}
	}
	return out, nil
}

// DeleteAccount removes a user and ends its sessions and tokens.
func (a *Accounts) DeleteAccount(_ context.Context, r *pb.DeleteAccountRequest) (*pb.DeleteAccountResponse, error) {
	if err := a.Store.DeleteAccount(r.GetName()); err != nil {
		return nil, grpcErr(err)
	}
	return &pb.DeleteAccountResponse{}, nil
}

// UpdatePassword changes one's own password (with the current one) or,
// authorized by RBAC, another user's.
func (a *Accounts) UpdatePassword(ctx context.Context, r *pb.UpdatePasswordRequest) (*pb.UpdatePasswordResponse, error) {
	p, _ := caller(ctx)
	name := r.GetName()
	self := name == "" || (p.Kind == store.KindUser && p.Issuer == "" && name == p.Name)
	if self && (p.Kind != store.KindUser || p.Issuer != "") {
		return nil, status.Error(codes.InvalidArgument, "name: the caller is not a local user; name the account")
	}
	if self {
		name = p.Name
	} else if err := a.check(p, "accounts", "update", name); err != nil {
		return nil, err
	}
	if err := checkPassword("new_password", r.GetNewPassword()); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(r.GetNewPassword()), bcrypt.DefaultCost)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "hash: %v", err)
	}
	err = a.Store.UpdateAccount(name, r.GetRevokeSessions(), func(acct *store.Account) error {
		if self && bcrypt.CompareHashAndPassword(acct.PasswordHash, []byte(r.GetCurrentPassword())) != nil {
			return status.Error(codes.PermissionDenied, "current_password: wrong password")
		}
		acct.PasswordHash = hash
		return nil
	})
	if err != nil {
		return nil, grpcErr(err)
	}
	return &pb.UpdatePasswordResponse{}, nil
}

// RotateAdminToken replaces the admin token and writes it where the
// first start wrote it.
func (a *Accounts) RotateAdminToken(context.Context, *pb.RotateAdminTokenRequest) (*pb.RotateAdminTokenResponse, error) {
	if a.FromFile {
		return nil, status.Error(codes.FailedPrecondition, "the admin token comes from --admin-token-file: change the file (its Secret) and restart the hub")
	}
	tok, err := NewToken("flta_")
	if err != nil {
		return nil, err
	}
	if err := a.Store.SetAdminToken(tok, store.Principal{Kind: store.KindAdmin, Name: "admin", Issued: a.Now().UTC()}); err != nil {
		return nil, grpcErr(err)
	}
	if a.AdminTokenFile != "" {
		if err := os.WriteFile(a.AdminTokenFile, []byte(tok+"\n"), 0o600); err != nil {
			return nil, status.Errorf(codes.Internal, "the admin token was rotated but not written to %s: %v", a.AdminTokenFile, err)
		}
	}
	return &pb.RotateAdminTokenResponse{Token: tok}, nil
}

// CanI answers for the caller.
func (a *Accounts) CanI(ctx context.Context, r *pb.CanIRequest) (*pb.CanIResponse, error) {
	p, _ := caller(ctx)
	return &pb.CanIResponse{Allowed: a.allowed(p, r.GetResource(), r.GetAction(), r.GetObject())}, nil
}

// timestamp is t as a protobuf time; nil for the zero time.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func (a *Accounts) allowed(p store.Principal, resource, action, object string) bool {
	if a.Allowed == nil {
		return p.Kind == store.KindAdmin
	}
	return a.Allowed(p, resource, action, object)
}

// check refuses unless the caller may do action on resource's object,
// naming the permission as RBAC refusals do.
func (a *Accounts) check(p store.Principal, resource, action, object string) error {
	if a.allowed(p, resource, action, object) {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "permission denied: %s, %s, %s", resource, action, object)
}

func accountProto(a store.Account) *pb.Account {
	return &pb.Account{Name: a.Name, Roles: a.Roles, Created: timestamp(a.Created)}
}

// clientIP is the caller's address without its port.
func clientIP(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		return p.Addr.String()
	}
	return host
}
