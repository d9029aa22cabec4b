package main

import (
	"strings"
	"testing"

	"github.com/flotilla-gitops/flotilla/internal/daemontest"
)

// An --oidc-* flag without --oidc-issuer and --oidc-client-id stops the
// hub at start, naming it; so does a configuration that cannot work.
func TestOIDCFlagsAreChecked(t *testing.T) {
	tests := map[string]struct {
		args []string
		says string
	}{
		"scopes alone":          {[]string{"-oidc-scopes", "openid"}, "-oidc-scopes: needs -oidc-issuer and -oidc-client-id"},
		"groups claim alone":    {[]string{"-oidc-groups-claim", "roles"}, "-oidc-groups-claim: needs -oidc-issuer and -oidc-client-id"},
		"an issuer alone":       {[]string{"-oidc-issuer", "https://idp.example.com"}, "-oidc-issuer: needs -oidc-client-id"},
		"a client id alone":     {[]string{"-oidc-client-id", "flotilla"}, "-oidc-client-id: needs -oidc-issuer"},
		"scopes without openid": {[]string{"-oidc-issuer", "https://idp.example.com", "-oidc-client-id", "flotilla", "-oidc-scopes", "email,groups"}, "openid must be one"},
		"a relative redirect":   {[]string{"-oidc-issuer", "https://idp.example.com", "-oidc-client-id", "flotilla", "-oidc-redirect-url", "/auth/callback"}, "--oidc-redirect-url"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			stderr, err := daemontest.RunMain(t, append([]string{"-data-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-http-listen", "127.0.0.1:0"}, tc.args...)...)
			if err == nil || !strings.Contains(stderr, tc.says) {
				t.Errorf("%v: err = %v, stderr does not say %q:\n%s", tc.args, err, tc.says, stderr)
			}
		})
	}
}

// A hub whose provider cannot be reached starts all the same (discovery
// waits for the first SSO call).
func TestOIDCProviderDownStarts(t *testing.T) {
	daemontest.StopsOnSIGTERM(t, "-data-dir", t.TempDir(), "-listen", "127.0.0.1:0", "-http-listen", "127.0.0.1:0",
		"-oidc-issuer", "http://127.0.0.1:1", "-oidc-client-id", "flotilla")
}
