package oidctest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// DeviceIDToken runs the device flow (RFC 8628) for clientID as username
// and returns the ID token: it asks for a device code, approves it as the
// user would, and redeems it at once (no polling interval: it is
// approved). It talks to URL, so an impostor (Options.Issuer) works too.
func (p *Provider) DeviceIDToken(t testing.TB, clientID, username string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, ok := p.st.clients[clientID]
	if !ok {
		t.Fatalf("DeviceIDToken: no client %q", clientID)
	}
	conf := oauth2.Config{ClientID: clientID, ClientSecret: c.secret, Scopes: []string{"openid", "profile", "email", "groups"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: p.URL + "/device_authorization", TokenURL: p.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	if conf.ClientSecret == "" {
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("device authorization for %s: %v", clientID, err)
	}
	if err := p.Approve(ctx, da.UserCode, username); err != nil {
		t.Fatalf("approve %s: %v", da.UserCode, err)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.DeviceCode}, "client_id": {clientID}}
	req, err := http.NewRequestWithContext(ctx, "POST", conf.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if conf.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(conf.ClientSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("device token: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
		Desc    string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.IDToken == "" {
		t.Fatalf("device token for %s as %s: %d %v %s %s", clientID, username, resp.StatusCode, err, tok.Error, tok.Desc)
	}
	return tok.IDToken
}
