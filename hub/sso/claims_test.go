package sso

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestIdentityFromClaims(t *testing.T) {
	tests := map[string]struct {
		claims         map[string]any
		username       string
		wantName       string
		wantGroups     []string
		wantErrSayings string
	}{
		"email and a list of groups": {
			claims:   map[string]any{"sub": "u1", "email": "alice@example.com", "email_verified": true, "groups": []any{"platform", "dev"}},
			wantName: "alice@example.com", wantGroups: []string{"platform", "dev"},
		},
		"one group as a string": {
			claims:   map[string]any{"sub": "u1", "email": "alice@example.com", "groups": "platform"},
			wantName: "alice@example.com", wantGroups: []string{"platform"},
		},
		"no email: the subject": {
			claims:   map[string]any{"sub": "u1", "groups": []any{}},
			wantName: "u1", wantGroups: []string{},
		},
		"another username claim": {
			claims:   map[string]any{"sub": "u1", "email": "a@example.com", "preferred_username": "alice"},
			username: "preferred_username", wantName: "alice",
		},
		"an unverified email": {
			claims:         map[string]any{"sub": "u1", "email": "boss@example.com", "email_verified": false},
			wantErrSayings: `email "boss@example.com" is not verified`,
		},
		"an unverified email as a string": {
			claims:         map[string]any{"sub": "u1", "email": "boss@example.com", "email_verified": "false"},
			wantErrSayings: "not verified",
		},
		"admin is reserved": {
			claims:         map[string]any{"sub": "u1", "email": "admin"},
			wantErrSayings: `user name "admin" is reserved`,
		},
		"role: is reserved": {
			claims:         map[string]any{"sub": "role:admin"},
			wantErrSayings: `user name "role:admin" is reserved`,
		},
		"proj: is reserved": {
			claims:         map[string]any{"sub": "u1", "email": "proj:a:b"},
			wantErrSayings: "reserved",
		},
		"no subject": {
			claims:         map[string]any{"email": "alice@example.com"},
			wantErrSayings: "no subject",
		},
		"groups of numbers": {
			claims:         map[string]any{"sub": "u1", "groups": []any{"a", 3.0}},
			wantErrSayings: `claim "groups": item 1 is a number`,
		},
		"groups as an object": {
			claims:         map[string]any{"sub": "u1", "groups": map[string]any{}},
			wantErrSayings: "an object, want a string or a list of strings",
		},
		"a control character": {
			claims:         map[string]any{"sub": "u1", "email": "al\nice"},
			wantErrSayings: "control characters",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			username := tc.username
			if username == "" {
				username = DefaultUsernameClaim
			}
			id, err := IdentityFromClaims(tc.claims, username, DefaultGroupsClaim)
			if tc.wantErrSayings != "" {
				if !errors.Is(err, ErrRefusedIdentity) || !strings.Contains(err.Error(), tc.wantErrSayings) {
					t.Fatalf("error %v, want ErrRefusedIdentity saying %q", err, tc.wantErrSayings)
				}
				return
			}
			if err != nil || id.Name != tc.wantName || !slices.Equal(id.Groups, tc.wantGroups) {
				t.Fatalf("got %+v, %v; want name %q, groups %v", id, err, tc.wantName, tc.wantGroups)
			}
		})
	}
}

func TestConfigRefusals(t *testing.T) {
	tests := map[string]struct {
		cfg  Config
		want string
	}{
		"a client without an issuer": {Config{ClientID: "c"}, "--oidc-client-id: needs --oidc-issuer"},
		"an issuer without a client": {Config{Issuer: "https://idp.example.com"}, "--oidc-issuer: needs --oidc-client-id"},
		"a relative issuer":          {Config{Issuer: "idp.example.com", ClientID: "c"}, "--oidc-issuer"},
		"a relative redirect URL":    {Config{Issuer: "https://idp", ClientID: "c", RedirectURL: "/auth/callback"}, "--oidc-redirect-url"},
		"scopes without openid":      {Config{Issuer: "https://idp", ClientID: "c", Scopes: []string{"email"}}, "openid must be one"},
	}
	for name, tc := range tests {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
	if s, err := New(Config{}); s != nil || err != nil {
		t.Errorf("no configuration: %v, %v; want no SSO and no error", s, err)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/": "/", "/apps?x=1": "/apps?x=1"} {
		if got, err := localPath(in); err != nil || got != want {
			t.Errorf("localPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"https://evil.example.com/", "//evil.example.com", "/\\evil.example.com", "apps", "/a\r\nSet-Cookie: x"} {
		if _, err := localPath(bad); err == nil {
			t.Errorf("localPath(%q): no error, want one", bad)
		}
	}
}
