package sso

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// The browser flow's paths on the hub's HTTP listener, and its cookies.
const (
	LoginPath    = "/auth/login"
	CallbackPath = "/auth/callback"
	LogoutPath   = "/auth/logout"
	// CookieName holds the hub session the browser flow issued (HttpOnly,
	// SameSite=Lax, Secure when the hub's URL is https); the JSON API takes
	// it in place of an Authorization header.
	CookieName = "flotilla.token"
	// stateCookie binds a login to the browser that started it.
	stateCookie = "flotilla.sso-state"
	// FlowTimeout is how long a browser has from LoginPath to CallbackPath.
	FlowTimeout = 10 * time.Minute
	// maxPending bounds the logins under way, each kept in memory.
	maxPending = 10000
)

// Sessions is what the browser flow needs of the hub's accounts.
type Sessions interface {
	// StartSession issues a hub session token for id.
	StartSession(ctx context.Context, id Identity) (token string, expires time.Time, err error)
	// EndSession revokes the session of token; an unknown token is no error.
	EndSession(token string) error
}

// Web serves the browser's authorization code flow with PKCE: LoginPath
// sends the browser to the provider, CallbackPath exchanges the code,
// verifies the ID token (and its nonce), starts a hub session and sets it
// as CookieName; LogoutPath ends it.
type Web struct {
	sso      *SSO
	sessions Sessions
	log      *slog.Logger

	mu      sync.Mutex
	pending map[string]flow // by state
}

// flow is one login under way, kept at the hub until its callback.
type flow struct {
	verifier, nonce, returnTo, redirectURL string
	expires                                time.Time
}

// NewWeb serves the browser flow of s.
func NewWeb(s *SSO, sessions Sessions, log *slog.Logger) *Web {
	return &Web{sso: s, sessions: sessions, log: log, pending: map[string]flow{}}
}

// Handler serves LoginPath, CallbackPath and LogoutPath.
func (w *Web) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+LoginPath, w.login)
	mux.HandleFunc("GET "+CallbackPath, w.callback)
	// POST only: a browser sends the SameSite=Lax cookie with a cross-site
	// GET (a link, an image), never with a cross-site POST, so no other
	// site can log its visitors out.
	mux.HandleFunc("POST "+LogoutPath, w.logout)
	return mux
}

// Off answers the browser flow's paths with 404 and why.
func Off(why string) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { http.Error(rw, why, http.StatusNotFound) })
}

func (w *Web) login(rw http.ResponseWriter, r *http.Request) {
	returnTo, err := localPath(r.URL.Query().Get("return_to"))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	p, err := w.sso.provider(r.Context())
	if err != nil {
		http.Error(rw, err.Error(), http.StatusServiceUnavailable)
		return
	}
	state := rand.Text()
	f := flow{verifier: oauth2.GenerateVerifier(), nonce: rand.Text(), returnTo: returnTo, redirectURL: w.redirectURL(r),
		expires: time.Now().Add(FlowTimeout)}
	if err := w.put(state, f); err != nil {
		http.Error(rw, err.Error(), http.StatusServiceUnavailable)
		return
	}
	http.SetCookie(rw, &http.Cookie{Name: stateCookie, Value: state, Path: "/auth/", MaxAge: int(FlowTimeout.Seconds()),
		HttpOnly: true, Secure: secure(r, f.redirectURL), SameSite: http.SameSiteLaxMode})
	to := w.sso.oauth2Config(p, f.redirectURL).AuthCodeURL(state, oauth2.S256ChallengeOption(f.verifier), oidc.Nonce(f.nonce))
	http.Redirect(rw, r, to, http.StatusFound)
}

func (w *Web) callback(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		http.Error(rw, fmt.Sprintf("the provider refused the login: %s: %s", e, q.Get("error_description")), http.StatusUnauthorized)
		return
	}
	state := q.Get("state")
	if c, err := r.Cookie(stateCookie); err != nil || state == "" || c.Value != state {
		http.Error(rw, "this login's state is not this browser's: start again at "+LoginPath, http.StatusBadRequest)
		return
	}
	f, ok := w.take(state)
	if !ok {
		http.Error(rw, "this login expired or was used: start again at "+LoginPath, http.StatusBadRequest)
		return
	}
	id, err := w.exchange(r.Context(), q.Get("code"), f)
	if err != nil {
		code := http.StatusUnauthorized
		if errors.Is(err, ErrUnavailable) {
			code = http.StatusServiceUnavailable
		}
		w.log.Warn("SSO login refused", "err", err)
		http.Error(rw, err.Error(), code)
		return
	}
	token, expires, err := w.sessions.StartSession(r.Context(), id)
	if err != nil {
		http.Error(rw, fmt.Sprintf("start a session for %s: %v", id.Name, err), http.StatusInternalServerError)
		return
	}
	sec := secure(r, f.redirectURL)
	http.SetCookie(rw, &http.Cookie{Name: stateCookie, Path: "/auth/", MaxAge: -1, HttpOnly: true, Secure: sec, SameSite: http.SameSiteLaxMode})
	http.SetCookie(rw, &http.Cookie{Name: CookieName, Value: token, Path: "/", Expires: expires, MaxAge: int(time.Until(expires).Seconds()),
		HttpOnly: true, Secure: sec, SameSite: http.SameSiteLaxMode})
	w.log.Info("SSO login", "user", id.Name, "groups", id.Groups, "issuer", id.Issuer)
	http.Redirect(rw, r, f.returnTo, http.StatusSeeOther)
}

// exchange trades the code for the provider's tokens and verifies the ID
// token against the login's nonce.
func (w *Web) exchange(ctx context.Context, code string, f flow) (Identity, error) {
	if code == "" {
		return Identity{}, fmt.Errorf("%w: the provider sent no code", ErrInvalidToken)
	}
	p, err := w.sso.provider(ctx)
	if err != nil {
		return Identity{}, err
	}
	tok, err := w.sso.oauth2Config(p, f.redirectURL).Exchange(w.sso.clientContext(ctx), code, oauth2.VerifierOption(f.verifier))
	var refused *oauth2.RetrieveError
	switch {
	case errors.As(err, &refused):
		return Identity{}, fmt.Errorf("%w: the provider refused the code: %v", ErrInvalidToken, err)
	case err != nil:
		return Identity{}, fmt.Errorf("%w: %s: code exchange: %v", ErrUnavailable, w.sso.cfg.Issuer, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: the provider sent no ID token (is openid among --oidc-scopes?)", ErrInvalidToken)
	}
	return w.sso.Verify(ctx, raw, f.nonce)
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	returnTo, err := localPath(r.URL.Query().Get("return_to"))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := w.sessions.EndSession(c.Value); err != nil {
			http.Error(rw, "end the session: "+err.Error(), http.StatusInternalServerError)
			return
		}
	}
	http.SetCookie(rw, &http.Cookie{Name: CookieName, Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure(r, w.redirectURL(r)),
		SameSite: http.SameSiteLaxMode})
	http.Redirect(rw, r, returnTo, http.StatusSeeOther)
}

// oauth2Config is the hub's client at p; a public client (no secret) sends
// its id in the form.
func (s *SSO) oauth2Config(p *oidc.Provider, redirectURL string) *oauth2.Config {
	ep := p.Endpoint()
	if s.secret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{ClientID: s.cfg.ClientID, ClientSecret: s.secret, Endpoint: ep, RedirectURL: redirectURL, Scopes: s.cfg.Scopes}
}

// redirectURL is --oidc-redirect-url, else CallbackPath on the host the
// browser asked for (https when the request came over TLS or through a
// proxy saying X-Forwarded-Proto: https).
func (w *Web) redirectURL(r *http.Request) string {
	if u := w.sso.cfg.RedirectURL; u != "" {
		return u
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host + CallbackPath
}

// secure says whether cookies must be Secure: the browser reaches the hub
// over TLS.
func secure(r *http.Request, redirectURL string) bool {
	return r.TLS != nil || strings.HasPrefix(redirectURL, "https://")
}

// localPath checks a return_to: a path on this hub ("/" when empty), never
// another site.
func localPath(s string) (string, error) {
	if s == "" {
		return "/", nil
	}
	u, err := url.Parse(s)
	// http.Redirect cleans the path: "/./\\evil" would become "/\\evil",
	// which browsers read as "//evil". No backslash at all.
	if err != nil || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n\t") ||
		u.Scheme != "" || u.Host != "" {
		return "", fmt.Errorf("return_to %q: want a path on this hub (/...)", s)
	}
	return s, nil
}

// put keeps a login under way, dropping expired ones.
func (w *Web) put(state string, f flow) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for k, v := range w.pending {
		if now.After(v.expires) {
			delete(w.pending, k)
		}
	}
	if len(w.pending) >= maxPending {
		// Whoever floods /auth/login (it needs no login) pushes out the
		// oldest logins under way, not every login to come.
		oldest := ""
		for k, v := range w.pending {
			if oldest == "" || v.expires.Before(w.pending[oldest].expires) {
				oldest = k
			}
		}
		delete(w.pending, oldest)
	}
	w.pending[state] = f
	return nil
}

// take returns and forgets the login of state, if it has not expired.
func (w *Web) take(state string) (flow, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.pending[state]
	delete(w.pending, state)
	return f, ok && time.Now().Before(f.expires)
}
