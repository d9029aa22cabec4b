package hub

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func bearerCtx(token string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
}

func code(err error) codes.Code { return status.Code(err) }

// Local users: the admin creates alice; she logs in with her password
// (no token needed), sees who she is, makes and revokes her own API
// token, changes her password (ending her sessions), and the admin
// deleting her ends every token she had. Wrong passwords are limited.
func TestLocalUsers(t *testing.T) {
	e := start(t)
	acc := pb.NewAccountServiceClient(e.conn)
	if _, err := acc.CreateAccount(e.admin, &pb.CreateAccountRequest{Name: "alice", Password: "short", Roles: []string{"readonly"}}); code(err) != codes.InvalidArgument {
		t.Fatalf("a 5-byte password: %v, want InvalidArgument", err)
	}
	if _, err := acc.CreateAccount(e.admin, &pb.CreateAccountRequest{Name: "alice", Password: "correct horse", Roles: []string{"readonly"}}); err != nil {
		t.Fatal(err)
	}
	login, err := acc.Login(context.Background(), &pb.LoginRequest{Username: "alice", Password: "correct horse"})
	if err != nil || !strings.HasPrefix(login.GetToken(), "flse_") || login.GetExpires() == nil {
		t.Fatalf("login: %v, %v", login, err)
	}
	alice := bearerCtx(login.GetToken())
	info, err := acc.GetUserInfo(alice, &pb.GetUserInfoRequest{})
	if err != nil || info.GetSubject() != "alice" || info.GetIssuer() != "local" {
		t.Fatalf("userinfo: %v, %v", info, err)
	}
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(alice, &pb.AddClusterRequest{Name: "east"}); code(err) != codes.PermissionDenied {
		t.Fatalf("alice adding a cluster: %v, want PermissionDenied", err)
	}

	api, err := acc.CreateToken(alice, &pb.CreateTokenRequest{Description: "ci", ExpiresInSeconds: 3600})
	if err != nil || api.GetInfo().GetSubject() != "alice" || api.GetInfo().GetExpires() == nil {
		t.Fatalf("alice's API token: %v, %v", api, err)
	}
	list, err := acc.ListTokens(bearerCtx(api.GetToken()), &pb.ListTokensRequest{})
	if err != nil || len(list.GetTokens()) != 2 {
		t.Fatalf("alice's tokens (a session and an API token): %v, %v", list, err)
	}
	if _, err := acc.CreateToken(alice, &pb.CreateTokenRequest{Account: "admin"}); code(err) != codes.PermissionDenied ||
		!strings.Contains(err.Error(), "permission denied: accounts, update, admin") {
		t.Fatalf("alice making a token for another account: %v, want PermissionDenied naming the permission", err)
	}
	if _, err := acc.DeleteToken(alice, &pb.DeleteTokenRequest{Id: api.GetInfo().GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.GetUserInfo(bearerCtx(api.GetToken()), &pb.GetUserInfoRequest{}); code(err) != codes.Unauthenticated {
		t.Fatalf("a revoked token: %v, want Unauthenticated", err)
	}

	if _, err := acc.UpdatePassword(alice, &pb.UpdatePasswordRequest{CurrentPassword: "wrong password", NewPassword: "battery staple"}); code(err) != codes.PermissionDenied {
		t.Fatalf("a new password with a wrong current one: %v, want PermissionDenied", err)
	}
	if _, err := acc.UpdatePassword(alice, &pb.UpdatePasswordRequest{CurrentPassword: "correct horse", NewPassword: "battery staple", RevokeSessions: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.GetUserInfo(alice, &pb.GetUserInfoRequest{}); code(err) != codes.Unauthenticated {
		t.Fatalf("a session after the password changed with revoke_sessions: %v, want Unauthenticated", err)
	}
	if _, err := acc.Login(context.Background(), &pb.LoginRequest{Username: "alice", Password: "correct horse"}); code(err) != codes.Unauthenticated {
		t.Fatalf("the old password: %v, want Unauthenticated", err)
	}
	second, err := acc.Login(context.Background(), &pb.LoginRequest{Username: "alice", Password: "battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.DeleteAccount(e.admin, &pb.DeleteAccountRequest{Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.GetUserInfo(bearerCtx(second.GetToken()), &pb.GetUserInfoRequest{}); code(err) != codes.Unauthenticated {
		t.Fatalf("a deleted account's session: %v, want Unauthenticated", err)
	}

	// Five failures lock the name out; the error says for how long.
	for i := range 5 {
		if _, err := acc.Login(context.Background(), &pb.LoginRequest{Username: "bob", Password: "guess-" + string(rune('a'+i))}); code(err) != codes.Unauthenticated {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	_, err = acc.Login(context.Background(), &pb.LoginRequest{Username: "bob", Password: "guess-f"})
	if code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "retry in") {
		t.Fatalf("a sixth attempt: %v, want ResourceExhausted saying when to retry", err)
	}
}

// The admin token rotates through the API: the new one works, the old
// stops, the data directory's file holds the new one. A hub that reads
// its token from --admin-token-file refuses to rotate it.
func TestRotateAdminToken(t *testing.T) {
	gs, url := gitRepo(t)
	cfg := testConfig(t)
	e, stop := launch(t, cfg, gs, url)
	defer stop()
	r, err := pb.NewAccountServiceClient(e.conn).RotateAdminToken(e.admin, &pb.RotateAdminTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got, old := listApps(e, r.GetToken()), listAppsCtx(e, e.admin); got != codes.OK || old != codes.Unauthenticated {
		t.Fatalf("after rotation: the new token %v, the old %v", got, old)
	}
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, AdminTokenFile))
	if err != nil || strings.TrimSpace(string(b)) != r.GetToken() {
		t.Fatalf("%s after rotation: %q, %v", AdminTokenFile, b, err)
	}

	f := startWith(t, func(c *Config) {
		c.AdminTokenFile = filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(c.AdminTokenFile, []byte(strings.Repeat("x", 40)), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := pb.NewAccountServiceClient(f.conn).RotateAdminToken(f.admin, &pb.RotateAdminTokenRequest{}); code(err) != codes.FailedPrecondition {
		t.Fatalf("rotating a token from --admin-token-file: %v, want FailedPrecondition", err)
	}
}
