package sso

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Identity is who a verified ID token says the user is.
type Identity struct {
	Name    string // the username claim, else the subject
	Subject string // sub
	Groups  []string
	Issuer  string
	Expiry  time.Time // the ID token's
}

// Verify checks rawIDToken: issued by the provider, signed by one of its
// keys (its JWKS), for the hub's client or the CLI's, not expired at
// s.Now and, when nonce is not empty, carrying it; then it reads the
// identity from its claims. Errors wrap ErrInvalidToken (saying why),
// ErrRefusedIdentity or ErrUnavailable.
func (s *SSO) Verify(ctx context.Context, rawIDToken, nonce string) (Identity, error) {
	// The issuer is read before the signature is checked, so that a token
	// of another provider is named as such (it is only ever refused on it).
	iss, err := unverifiedIssuer(rawIDToken)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: malformed: %v", ErrInvalidToken, err)
	}
	if iss != s.cfg.Issuer {
		return Identity{}, fmt.Errorf("%w: issued by %q, not by this hub's provider %q", ErrInvalidToken, iss, s.cfg.Issuer)
	}
	p, err := s.provider(ctx)
	if err != nil {
		return Identity{}, err
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	tok, err := p.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: now}).Verify(s.clientContext(ctx), rawIDToken)
	if err != nil {
		return Identity{}, s.verifyErr(err)
	}
	if !slices.Contains(tok.Audience, s.cfg.ClientID) && !slices.Contains(tok.Audience, s.cfg.CLIClientID) {
		return Identity{}, fmt.Errorf("%w: for another client (audience %s), not this hub's %s", ErrInvalidToken,
			strings.Join(tok.Audience, ","), strings.Join(s.clientIDs(), " or "))
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1 {
		return Identity{}, fmt.Errorf("%w: its nonce is not this login's", ErrInvalidToken)
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: claims: %v", ErrInvalidToken, err)
	}
	// A token for several audiences was asked for by its authorized party
	// (azp): it must be one of this hub's clients, not another app that
	// named the hub among its audiences.
	if azp, _ := claims["azp"].(string); azp != "" || len(tok.Audience) > 1 {
		if azp != s.cfg.ClientID && azp != s.cfg.CLIClientID {
			return Identity{}, fmt.Errorf("%w: issued to client %q (azp), not this hub's %s", ErrInvalidToken, azp, strings.Join(s.clientIDs(), " or "))
		}
	}
	id, err := IdentityFromClaims(claims, s.cfg.UsernameClaim, s.cfg.GroupsClaim)
	if err != nil {
		return Identity{}, err
	}
	id.Issuer, id.Expiry = tok.Issuer, tok.Expiry
	return id, nil
}

func (s *SSO) clientIDs() []string {
	if s.cfg.CLIClientID == s.cfg.ClientID {
		return []string{s.cfg.ClientID}
	}
	return []string{s.cfg.ClientID, s.cfg.CLIClientID}
}

// verifyErr says why go-oidc refused a token. The key set's own failure
// (the provider's JWKS unreachable) is the provider's, not the token's.
func (s *SSO) verifyErr(err error) error {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return fmt.Errorf("%w: expired at %s", ErrInvalidToken, expired.Expiry.UTC().Format(time.RFC3339))
	case strings.Contains(msg, "fetching keys"):
		return fmt.Errorf("%w: %s: keys: %v", ErrUnavailable, s.cfg.Issuer, err)
	case strings.Contains(msg, "failed to verify signature"):
		return fmt.Errorf("%w: bad signature: not signed by a key of %s", ErrInvalidToken, s.cfg.Issuer)
	}
	return fmt.Errorf("%w: %v", ErrInvalidToken, err)
}

// unverifiedIssuer is the iss claim of a JWT, unverified.
func unverifiedIssuer(raw string) (string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("not a JWT (%d parts)", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("payload: %v", err)
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("payload: %v", err)
	}
	return c.Issuer, nil
}
