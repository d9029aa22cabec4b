// Package sso is the hub's single sign-on with an OpenID Connect
// provider: it verifies the provider's ID tokens (go-oidc) and turns their
// claims into an Identity, and serves the browser's authorization code
// flow with PKCE (web.go). The provider's discovery document is fetched
// on first use, with a timeout, so that a hub starts while its provider is
// down; SSO calls then fail with ErrUnavailable.
package sso

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Config is the hub's OIDC client configuration (the --oidc-* flags).
type Config struct {
	// Issuer is the provider's URL (--oidc-issuer); SSO is off without it.
	Issuer string
	// ClientID is the hub's client (--oidc-client-id): the browser flow's,
	// and the audience of the ID tokens the hub accepts.
	ClientID string
	// ClientSecretFile holds the client's secret (--oidc-client-secret-file);
	// none for a public client.
	ClientSecretFile string
	// CLIClientID is the public client of the CLI's device flow
	// (--oidc-cli-client-id; default ClientID); its ID tokens are accepted
	// too.
	CLIClientID string
	// Scopes are asked for (default DefaultScopes); openid must be one.
	Scopes []string
	// GroupsClaim names the claim holding the user's groups, a string or a
	// list of strings (default "groups").
	GroupsClaim string
	// UsernameClaim names the claim that is the user's name in the hub
	// (default "email"); when the token lacks it, the name is "sub".
	UsernameClaim string
	// RedirectURL is the hub's external /auth/callback URL
	// (--oidc-redirect-url); default: from each login request's host.
	RedirectURL string
}

// Defaults of Config.
var DefaultScopes = []string{"openid", "profile", "email", "groups"}

const (
	DefaultGroupsClaim   = "groups"
	DefaultUsernameClaim = "email"
	// DiscoveryTimeout bounds every request to the provider: discovery,
	// its keys, the code exchange.
	DiscoveryTimeout = 10 * time.Second
	// retryAfter is how long a failed discovery is answered from memory
	// before the provider is asked again.
	retryAfter = 2 * time.Second
)

// Enabled says whether the configuration asks for SSO.
func (c Config) Enabled() bool { return c.Issuer != "" || c.ClientID != "" }

// withDefaults fills what was left empty.
func (c Config) withDefaults() Config {
	if len(c.Scopes) == 0 {
		c.Scopes = slices.Clone(DefaultScopes)
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = DefaultGroupsClaim
	}
	if c.UsernameClaim == "" {
		c.UsernameClaim = DefaultUsernameClaim
	}
	if c.CLIClientID == "" {
		c.CLIClientID = c.ClientID
	}
	return c
}

// Validate refuses a configuration that cannot work, naming the flag.
func (c Config) Validate() error {
	switch {
	case c.Issuer == "":
		return fmt.Errorf("--oidc-client-id: needs --oidc-issuer")
	case c.ClientID == "":
		return fmt.Errorf("--oidc-issuer: needs --oidc-client-id")
	}
	if err := absoluteURL(c.Issuer); err != nil {
		return fmt.Errorf("--oidc-issuer %q: %w", c.Issuer, err)
	}
	if c.RedirectURL != "" {
		if err := absoluteURL(c.RedirectURL); err != nil {
			return fmt.Errorf("--oidc-redirect-url %q: %w", c.RedirectURL, err)
		}
	}
	if len(c.Scopes) > 0 && !slices.Contains(c.Scopes, "openid") {
		return fmt.Errorf("--oidc-scopes %s: openid must be one of them", strings.Join(c.Scopes, ","))
	}
	return nil
}

func absoluteURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL")
	}
	return nil
}

// SSO verifies ID tokens of one provider for the hub's clients.
type SSO struct {
	cfg    Config
	secret string
	client *http.Client // bounds every request to the provider
	// Now is the verifier's clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	p       *oidc.Provider
	lastErr error
	lastTry time.Time
}

// New checks cfg and reads its secret; nil (and no error) when cfg does
// not ask for SSO. The provider is not contacted.
func New(cfg Config) (*SSO, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &SSO{cfg: cfg.withDefaults(), client: &http.Client{Timeout: DiscoveryTimeout}, Now: time.Now}
	if cfg.ClientSecretFile != "" {
		b, err := os.ReadFile(cfg.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		if s.secret = strings.TrimSpace(string(b)); s.secret == "" {
			return nil, fmt.Errorf("--oidc-client-secret-file %s: empty", cfg.ClientSecretFile)
		}
	}
	return s, nil
}

// Config is the configuration in force, defaults filled in.
func (s *SSO) Config() Config { return s.cfg }

// provider discovers the provider once; a failure is remembered for
// retryAfter, then tried again.
func (s *SSO) provider(ctx context.Context) (*oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return s.p, nil
	}
	if s.lastErr != nil && time.Since(s.lastTry) < retryAfter {
		return nil, s.lastErr
	}
	ctx, cancel := context.WithTimeout(s.clientContext(ctx), DiscoveryTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.cfg.Issuer)
	s.lastTry = time.Now()
	if err != nil {
		s.lastErr = fmt.Errorf("%w: %s: discovery: %v", ErrUnavailable, s.cfg.Issuer, err)
		return nil, s.lastErr
	}
	s.p, s.lastErr = p, nil
	return p, nil
}

// clientContext makes go-oidc and x/oauth2 use the bounded client.
func (s *SSO) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.client)
}
