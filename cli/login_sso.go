package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// providerTimeout bounds each request to the SSO provider (discovery, the
// device code, each poll).
const providerTimeout = 30 * time.Second

// ssoLogin logs in with the hub's SSO provider by the device authorization
// flow (RFC 8628) and returns a hub session token: it asks the hub which
// provider and client (GetSettings), prints on stderr where to go and the
// code to enter, polls the provider until the user approved, and hands the
// ID token to the hub's Login.
func ssoLogin(cmd *cobra.Command, cfg Config) (string, error) {
	cfg.Token = ""
	c, err := dialConfig(cfg)
	if err != nil {
		return "", err
	}
	defer c.Close()
	ctx := cmd.Context()
	s, err := c.acc.GetSettings(ctx, &pb.GetSettingsRequest{})
	if err != nil {
		return "", fmt.Errorf("SSO settings of %s: %w", cfg.Hub, rpcErr(err))
	}
	settings := s.GetSso()
	if settings == nil {
		return "", fmt.Errorf("hub %s has no SSO (its --oidc-issuer and --oidc-client-id): log in with --username or a token", cfg.Hub)
	}
	idToken, err := deviceFlow(ctx, cmd, settings)
	if err != nil {
		return "", fmt.Errorf("SSO with %s: %w", settings.GetIssuer(), err)
	}
	r, err := c.acc.Login(ctx, &pb.LoginRequest{IdToken: idToken})
	if err != nil {
		return "", fmt.Errorf("login to %s with the ID token of %s: %w", cfg.Hub, settings.GetIssuer(), rpcErr(err))
	}
	return r.GetToken(), nil
}

// deviceFlow runs the device flow for the hub's CLI client and returns the
// provider's ID token.
func deviceFlow(ctx context.Context, cmd *cobra.Command, s *pb.SSOSettings) (string, error) {
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: providerTimeout})
	dctx, cancel := context.WithTimeout(ctx, providerTimeout)
	defer cancel()
	provider, err := oidc.NewProvider(dctx, s.GetIssuer())
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	ep := provider.Endpoint()
	if ep.DeviceAuthURL == "" {
		return "", errors.New("the provider has no device authorization endpoint (RFC 8628), which flotilla login --sso needs")
	}
	ep.AuthStyle = oauth2.AuthStyleInParams // a public client: its id in the form, no secret
	client := s.GetCliClientId()
	if client == "" {
		client = s.GetClientId()
	}
	conf := &oauth2.Config{ClientID: client, Endpoint: ep, Scopes: s.GetScopes()}
	da, err := conf.DeviceAuth(dctx)
	if err != nil {
		return "", fmt.Errorf("device authorization for client %s: %w", client, err)
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "To log in, open %s and enter the code %s\n", da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(w, "(or open %s)\n", da.VerificationURIComplete)
	}
	fmt.Fprintln(w, "Waiting for the provider ...")
	tok, err := conf.DeviceAccessToken(ctx, da) // until approved, denied or expired
	if errors.Is(err, context.DeadlineExceeded) && !da.Expiry.IsZero() && time.Now().After(da.Expiry) {
		return "", fmt.Errorf("the code %s expired at %s without approval: run flotilla login --sso again", da.UserCode, da.Expiry.Format(time.TimeOnly))
	}
	if err != nil {
		return "", fmt.Errorf("waiting for approval: %w", err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	if idToken == "" {
		return "", errors.New("the provider sent no ID token (is openid among the hub's --oidc-scopes?)")
	}
	return idToken, nil
}
