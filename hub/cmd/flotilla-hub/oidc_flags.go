package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/hub/sso"
)

// registerOIDCFlags adds the flags of single sign-on with an OpenID
// Connect provider.
func registerOIDCFlags(fs *flag.FlagSet, cfg *hub.Config) {
	o := &cfg.OIDC
	fs.StringVar(&o.Issuer, "oidc-issuer", "", "SSO: the OpenID Connect provider's issuer URL (its discovery document is fetched on first use); SSO is off without it")
	fs.StringVar(&o.ClientID, "oidc-client-id", "", "SSO: the hub's client at the provider; ID tokens must be for it (or --oidc-cli-client-id)")
	fs.StringVar(&o.ClientSecretFile, "oidc-client-secret-file", "", "SSO: file holding the client's secret (e.g. a mounted Secret); none for a public client")
	fs.StringVar(&o.CLIClientID, "oidc-cli-client-id", "", "SSO: the public client that flotilla login --sso uses for the device flow; its ID tokens are accepted too (default: --oidc-client-id)")
	o.Scopes = slices.Clone(sso.DefaultScopes)
	fs.Var((*commaList)(&o.Scopes), "oidc-scopes", "SSO: scopes asked for, comma-separated (openid among them)")
	fs.StringVar(&o.GroupsClaim, "oidc-groups-claim", sso.DefaultGroupsClaim, "SSO: the ID token's claim listing the user's groups (a string or a list), which RBAC's g lines map to roles")
	fs.StringVar(&o.UsernameClaim, "oidc-username-claim", sso.DefaultUsernameClaim, "SSO: the ID token's claim that is the user's name in the hub (RBAC, audit); sub for the subject; a token without it is refused, an email must be verified")
	fs.StringVar(&o.RedirectURL, "oidc-redirect-url", "", "SSO: the hub's external /auth/callback URL, as registered at the provider (default: from the browser's request: its Host, https with TLS or X-Forwarded-Proto: https)")
}

// checkOIDCFlags refuses an --oidc-* flag without both --oidc-issuer and
// --oidc-client-id, naming it, and a configuration that cannot work.
func checkOIDCFlags(fs *flag.FlagSet, cfg hub.Config) error {
	o := cfg.OIDC
	if o.Issuer != "" && o.ClientID != "" {
		return o.Validate()
	}
	var errs []error
	fs.Visit(func(f *flag.Flag) {
		switch {
		case f.Name == "oidc-issuer":
			errs = append(errs, errors.New("-oidc-issuer: needs -oidc-client-id"))
		case f.Name == "oidc-client-id":
			errs = append(errs, errors.New("-oidc-client-id: needs -oidc-issuer"))
		case strings.HasPrefix(f.Name, "oidc-"):
			errs = append(errs, fmt.Errorf("-%s: needs -oidc-issuer and -oidc-client-id", f.Name))
		}
	})
	return errors.Join(errs...)
}

// commaList is a flag of comma-separated values.
type commaList []string

func (l *commaList) String() string { return strings.Join(*l, ",") }

func (l *commaList) Set(s string) error {
	*l = nil
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}
