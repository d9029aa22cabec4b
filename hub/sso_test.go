package hub

import (
	"context"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/flotilla-gitops/flotilla/hub/sso"
	"github.com/flotilla-gitops/flotilla/internal/oidctest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// The test provider's users and clients: the hub's web client (with a
// secret), the CLI's public client, and a client of another application.
var (
	ssoUsers = []oidctest.User{
		{ID: "u-alice", Username: "alice", Password: "alice-password", Email: "alice@example.com", Groups: []string{"platform-team", "dev"}},
		{ID: "u-bob", Username: "bob", Password: "bob-password", Email: "bob@example.com"},
		{ID: "u-root", Username: "root", Password: "root-password", Email: "admin"},
	}
	ssoClients = []oidctest.Client{{ID: "flotilla", Secret: "web-secret"}, {ID: "flotilla-cli"}, {ID: "other-app"}}
)

const ssoPolicy = "g, platform-team, role:admin\n"

// ssoHub starts a hub whose SSO provider is p, with ssoPolicy.
func ssoHub(t *testing.T, p *oidctest.Provider) *env {
	t.Helper()
	return startWith(t, func(c *Config) {
		dir := t.TempDir()
		c.RBACPolicyFile = filepath.Join(dir, "policy.csv")
		secret := filepath.Join(dir, "client-secret")
		for f, b := range map[string]string{c.RBACPolicyFile: ssoPolicy, secret: "web-secret\n"} {
			if err := os.WriteFile(f, []byte(b), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c.OIDC = sso.Config{Issuer: p.Issuer, ClientID: "flotilla", ClientSecretFile: secret, CLIClientID: "flotilla-cli"}
	})
}

// An ID token of the provider, from its device flow, becomes a hub
// session: the subject is the token's email, its groups map to roles by
// the policy (platform-team is role:admin), a user without the group is
// refused naming the permission.
func TestSSOLoginWithIDToken(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{Users: ssoUsers, Clients: ssoClients})
	e := ssoHub(t, p)
	acc := pb.NewAccountServiceClient(e.conn)
	ctx := context.Background()

	settings, err := acc.GetSettings(ctx, &pb.GetSettingsRequest{})
	if s := settings.GetSso(); err != nil || s.GetIssuer() != p.Issuer || s.GetClientId() != "flotilla" || s.GetCliClientId() != "flotilla-cli" ||
		!slices.Equal(s.GetScopes(), sso.DefaultScopes) || s.GetLoginPath() != "/auth/login" {
		t.Fatalf("settings without a token: %v, %v", settings, err)
	}
	login := func(user string) context.Context {
		t.Helper()
		r, err := acc.Login(ctx, &pb.LoginRequest{IdToken: p.DeviceIDToken(t, "flotilla-cli", user)})
		if err != nil || !strings.HasPrefix(r.GetToken(), "flse_") {
			t.Fatalf("login of %s with an ID token: %v, %v", user, r, err)
		}
		if left := time.Until(r.GetExpires().AsTime()); left < 23*time.Hour || left > 24*time.Hour {
			t.Errorf("session of %s expires in %s, want a day", user, left)
		}
		return bearerCtx(r.GetToken())
	}
	alice, bob := login("alice"), login("bob")
	info, err := acc.GetUserInfo(alice, &pb.GetUserInfoRequest{})
	if err != nil || info.GetSubject() != "alice@example.com" || info.GetIssuer() != p.Issuer || !slices.Equal(info.GetGroups(), []string{"platform-team", "dev"}) ||
		!slices.Equal(info.GetRoles(), []string{"admin"}) {
		t.Fatalf("alice's userinfo: %v, %v", info, err)
	}
	clusters := pb.NewClusterServiceClient(e.conn)
	if _, err := clusters.AddCluster(alice, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatalf("alice (platform-team, role:admin) adding a cluster: %v", err)
	}
	_, err = clusters.AddCluster(bob, &pb.AddClusterRequest{Name: "west"})
	if code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "permission denied: clusters, create, west") {
		t.Fatalf("bob (no group) adding a cluster: %v, want PermissionDenied naming the permission", err)
	}
}

// ID tokens the hub must not take are refused, each saying why: expired,
// for another client, signed by another key under the same issuer, issued
// by another provider, a reserved name.
func TestSSORefusedIDTokens(t *testing.T) {
	opts := oidctest.Options{Users: ssoUsers, Clients: ssoClients}
	p := oidctest.Start(t, opts)
	e := ssoHub(t, p)
	acc := pb.NewAccountServiceClient(e.conn)
	impostorOpts := opts
	impostorOpts.Issuer = p.Issuer
	impostor, other := oidctest.Start(t, impostorOpts), oidctest.Start(t, opts)

	p.SetIDTokenLifetime(-time.Minute)
	expired := p.DeviceIDToken(t, "flotilla-cli", "alice")
	p.SetIDTokenLifetime(oidctest.DefaultIDTokenLifetime)
	tests := map[string]struct {
		token string
		code  codes.Code
		says  string
	}{
		"expired":             {expired, codes.Unauthenticated, "ID token refused: expired at"},
		"another audience":    {p.DeviceIDToken(t, "other-app", "alice"), codes.Unauthenticated, "for another client (audience other-app), not this hub's flotilla or flotilla-cli"},
		"another key":         {impostor.DeviceIDToken(t, "flotilla-cli", "alice"), codes.Unauthenticated, "bad signature: not signed by a key of " + p.Issuer},
		"another issuer":      {other.DeviceIDToken(t, "flotilla-cli", "alice"), codes.Unauthenticated, `issued by "` + other.Issuer + `", not by this hub's provider`},
		"a reserved name":     {p.DeviceIDToken(t, "flotilla-cli", "root"), codes.PermissionDenied, `user name "admin" is reserved`},
		"not a token":         {"not-a-jwt", codes.Unauthenticated, "malformed"},
		"a password as well?": {"", codes.InvalidArgument, "id_token: not with username or password"},
	}
	for name, tc := range tests {
		req := &pb.LoginRequest{IdToken: tc.token}
		if tc.token == "" {
			req = &pb.LoginRequest{IdToken: p.DeviceIDToken(t, "flotilla-cli", "alice"), Username: "alice", Password: "alice-password"}
		}
		_, err := acc.Login(context.Background(), req)
		if code(err) != tc.code || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", name, err, tc.code, tc.says)
		}
	}
}

// A hub whose provider is down starts; GetSettings answers, logins fail
// with Unavailable naming the provider, the browser flow with 503. A hub
// without SSO refuses ID tokens and does not serve the browser flow.
func TestSSOProviderDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + l.Addr().String()
	if err := l.Close(); err != nil { // nothing listens there any more
		t.Fatal(err)
	}
	e := startWith(t, func(c *Config) { c.OIDC = sso.Config{Issuer: issuer, ClientID: "flotilla"} })
	acc := pb.NewAccountServiceClient(e.conn)
	if s, err := acc.GetSettings(context.Background(), &pb.GetSettingsRequest{}); err != nil || s.GetSso().GetIssuer() != issuer {
		t.Fatalf("settings: %v, %v", s, err)
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"` + issuer + `","sub":"x"}`))
	_, err = acc.Login(context.Background(), &pb.LoginRequest{IdToken: "e30." + payload + ".c2ln"})
	if code(err) != codes.Unavailable || !strings.Contains(err.Error(), "SSO provider unavailable: "+issuer+": discovery") {
		t.Fatalf("login while the provider is down: %v, want Unavailable naming it", err)
	}
	b := newBrowser(t, e)
	if resp := b.get(t, "/auth/login"); resp.StatusCode != 503 || !strings.Contains(resp.body, "SSO provider unavailable") {
		t.Errorf("browser login while the provider is down: %d %s", resp.StatusCode, resp.body)
	}

	plain := start(t)
	_, err = pb.NewAccountServiceClient(plain.conn).Login(context.Background(), &pb.LoginRequest{IdToken: "e30." + payload + ".c2ln"})
	if code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "no SSO") {
		t.Errorf("an ID token at a hub without SSO: %v, want FailedPrecondition", err)
	}
	if s, err := pb.NewAccountServiceClient(plain.conn).GetSettings(context.Background(), &pb.GetSettingsRequest{}); err != nil || s.GetSso() != nil {
		t.Errorf("settings of a hub without SSO: %v, %v", s, err)
	}
	if resp := newBrowser(t, plain).get(t, "/auth/login"); resp.StatusCode != 404 || !strings.Contains(resp.body, "--oidc-issuer") {
		t.Errorf("browser login at a hub without SSO: %d %s", resp.StatusCode, resp.body)
	}
}

// An SSO user whose name is a local account's is refused: the policy's
// lines for that name are the account's.
func TestSSONameOfALocalAccount(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{Users: ssoUsers, Clients: ssoClients})
	e := startWith(t, func(c *Config) {
		c.OIDC = sso.Config{Issuer: p.Issuer, ClientID: "flotilla", CLIClientID: "flotilla-cli", UsernameClaim: "sub"}
	})
	acc := pb.NewAccountServiceClient(e.conn)
	if _, err := acc.CreateAccount(e.admin, &pb.CreateAccountRequest{Name: "u-alice", Password: "local-password"}); err != nil {
		t.Fatal(err)
	}
	_, err := acc.Login(context.Background(), &pb.LoginRequest{IdToken: p.DeviceIDToken(t, "flotilla-cli", "alice")})
	if code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), `SSO user "u-alice": a local account has this name`) {
		t.Fatalf("an SSO user named as a local account: %v", err)
	}
	if _, err := acc.Login(context.Background(), &pb.LoginRequest{IdToken: p.DeviceIDToken(t, "flotilla-cli", "bob")}); err != nil {
		t.Fatalf("an SSO user of another name: %v", err)
	}
}
