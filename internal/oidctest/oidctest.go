// Package oidctest runs a real OpenID Connect provider in-process for
// tests: zitadel/oidc's op (discovery, JWKS, authorization code with PKCE,
// device authorization, token endpoints, RS256 signing) over the module's
// example storage, with users that have groups, clients of the test's
// choosing, a tiny login form and programmatic approval of device codes.
package oidctest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	exstorage "github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is a user of the provider; its token's email is verified.
type User struct {
	ID, Username, Password, Email string
	Groups                        []string // the ID token's groups claim, when any
}

// Client is a client of the provider: the device flow for every client,
// the code flow (PKCE allowed) with redirects to /auth/callback on any
// loopback port. Without a Secret it is public.
type Client struct {
	ID, Secret string
}

// Options configure a provider.
type Options struct {
	Users   []User
	Clients []Client
	// Issuer, when set, is what the tokens say issued them instead of the
	// provider's own URL: an impostor, with keys of its own.
	Issuer string
}

// DefaultIDTokenLifetime is how long ID tokens last unless
// SetIDTokenLifetime said otherwise.
const DefaultIDTokenLifetime = time.Hour

// Provider is a running provider.
type Provider struct {
	URL    string // where it listens: http://127.0.0.1:PORT
	Issuer string // the tokens' iss: URL unless Options.Issuer
	st     *storage
}

// Start runs a provider on a loopback port until the test ends.
func Start(t testing.TB, o Options) *Provider {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{URL: "http://" + l.Addr().String()}
	p.Issuer = p.URL
	if o.Issuer != "" {
		p.Issuer = o.Issuer
	}
	p.st = newStorage(o)
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:          sha256.Sum256([]byte("flotilla oidctest")),
		CodeMethodS256:     true,
		SupportedUILocales: []language.Tag{language.English},
		DeviceAuthorization: op.DeviceAuthorizationConfig{Lifetime: 5 * time.Minute, PollInterval: time.Second,
			UserFormPath: "/device", UserCode: op.UserCodeBase20},
	}, p.st, op.StaticIssuer(p.Issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/username", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, loginPage, html.EscapeString(r.FormValue("authRequestID")))
	})
	mux.Handle("POST /login/username", op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := p.st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(provider)(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/", provider)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("OIDC provider: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("OIDC provider shutdown: %v", err)
		}
	})
	return p
}

// loginPage is the provider's login form: POST id, username, password.
const loginPage = `<!doctype html><form method="post" action="/login/username">
<input type="hidden" name="id" value="%s"><input name="username"><input name="password" type="password">
<button type="submit">Log in</button></form>`

// SetIDTokenLifetime makes the ID tokens issued from now on last d; a
// negative d issues tokens that expired already.
func (p *Provider) SetIDTokenLifetime(d time.Duration) { p.st.lifetime.Store(int64(d)) }

// Approve completes the device authorization of userCode as username, as
// the user would in the provider's device form.
func (p *Provider) Approve(ctx context.Context, userCode, username string) error {
	u := p.st.users.GetUserByUsername(username)
	if u == nil {
		return fmt.Errorf("no user %q", username)
	}
	return p.st.CompleteDeviceAuthorization(ctx, userCode, u.ID)
}

// storage is the example storage with this provider's users and clients.
type storage struct {
	*exstorage.Storage
	users    users
	clients  map[string]*client
	lifetime atomic.Int64
}

func newStorage(o Options) *storage {
	us := users{}
	for _, u := range o.Users {
		us[u.ID] = u
	}
	placeholders := map[string]*exstorage.Client{} // for the example storage's own checks
	s := &storage{users: us, clients: map[string]*client{}}
	s.lifetime.Store(int64(DefaultIDTokenLifetime))
	for _, c := range o.Clients {
		ex := exstorage.NativeClient(c.ID)
		if c.Secret != "" {
			ex = exstorage.WebClient(c.ID, c.Secret)
		}
		placeholders[c.ID] = ex
		s.clients[c.ID] = &client{Client: ex, secret: c.Secret, lifetime: &s.lifetime}
	}
	s.Storage = exstorage.NewStorageWithClients(us, placeholders)
	return s
}

// GetClientByClientID is the provider's view of a client.
func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %q not found", id)
	}
	return c, nil
}

// SetUserinfoFromRequest adds the user's groups to the example's claims.
func (s *storage) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, r op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, r, scopes); err != nil {
		return err
	}
	if u, ok := s.users[r.GetSubject()]; ok && len(u.Groups) > 0 {
		ui.AppendClaims("groups", u.Groups)
	}
	return nil
}

// client is an example client with the device grant, the test's ID token
// lifetime, the profile and email claims in the ID token, the groups
// scope, and redirects to /auth/callback on loopback.
type client struct {
	*exstorage.Client
	secret   string
	lifetime *atomic.Int64
}

func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeDeviceCode}
}
func (c *client) IDTokenLifetime() time.Duration       { return time.Duration(c.lifetime.Load()) }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) IsScopeAllowed(scope string) bool     { return scope == "groups" }
func (c *client) DevMode() bool                        { return true }
func (c *client) RedirectURIGlobs() []string {
	return []string{"http://127.0.0.1:*/auth/callback", "http://localhost:*/auth/callback"}
}
func (c *client) PostLogoutRedirectURIGlobs() []string { return nil }

// users is the example's UserStore over this provider's users.
type users map[string]User

func (us users) GetUserByID(id string) *exstorage.User {
	u, ok := us[id]
	if !ok {
		return nil
	}
	return &exstorage.User{ID: u.ID, Username: u.Username, Password: u.Password, Email: u.Email, EmailVerified: true,
		FirstName: u.Username, PreferredLanguage: language.English}
}

func (us users) GetUserByUsername(name string) *exstorage.User {
	for _, u := range us {
		if u.Username == name {
			return us.GetUserByID(u.ID)
		}
	}
	return nil
}

func (users) ExampleClientID() string { return exstorage.ServiceUserID }
