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
			claims:   map[string]any{"sub": "u1", "email": "alice@example.com", "email_verified": "true", "groups": "platform"},
			wantName: "alice@example.com", wantGroups: []string{"platform"},
		},
		"no email: refused, not the subject": {
			claims:         map[string]any{"sub": "u1", "groups": []any{}},
			wantErrSayings: `no "email" claim`,
		},
		"an email without email_verified": {
			claims:         map[string]any{"sub": "u1", "email": "ceo@corp.example"},
			wantErrSayings: "not verified",
		},
		"the subject when asked for": {
			claims:   map[string]any{"sub": "u1"},
			username: "sub", wantName: "u1",
		},
		"too many groups": {
			claims:         map[string]any{"sub": "u1", "email": "a@example.com", "email_verified": true, "groups": manyGroups(1001)},
			wantErrSayings: "1001 groups, more than 1000",
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
			claims:         map[string]any{"sub": "u1", "email": "admin", "email_verified": true},
			wantErrSayings: `user name "admin" is reserved`,
		},
		"role: is reserved": {
			claims: map[string]any{"sub": "role:admin"}, username: "sub",
			wantErrSayings: `user name "role:admin" is reserved`,
		},
		"proj: is reserved": {
			claims:         map[string]any{"sub": "u1", "email": "proj:a:b", "email_verified": true},
			wantErrSayings: "reserved",
		},
		"no subject": {
			claims:         map[string]any{"email": "alice@example.com"},
			wantErrSayings: "no subject",
		},
		"groups of numbers": {
			claims: map[string]any{"sub": "u1", "groups": []any{"a", 3.0}}, username: "sub",
			wantErrSayings: `claim "groups": item 1 is a number`,
		},
		"groups as an object": {
			claims: map[string]any{"sub": "u1", "groups": map[string]any{}}, username: "sub",
			wantErrSayings: "an object, want a string or a list of strings",
		},
		"a control character": {
			claims:         map[string]any{"sub": "u1", "email": "al\nice", "email_verified": true},
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
	for _, bad := range []string{"https://evil.example.com/", "//evil.example.com", "/\\evil.example.com", "apps", "/a\r\nSet-Cookie: x",
		"/./\\evil.example", "/../\\evil.example"} {
		if _, err := localPath(bad); err == nil {
			t.Errorf("localPath(%q): no error, want one", bad)
		}
	}
}

func manyGroups(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "g" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	return out
}
