package hub

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/flotilla-gitops/flotilla/hub/api"
	"github.com/flotilla-gitops/flotilla/hub/server"
	"github.com/flotilla-gitops/flotilla/hub/sso"
)

// jsonAPI is the handler of /api/v1/ on the HTTP listener: the JSON API
// over link. A hub that requires client certificates (--tls-client-ca)
// does not serve it: its plaintext HTTP listener cannot check them, and
// the API would let callers without one in.
func jsonAPI(ctx context.Context, cfg Config, link *api.Link, l server.GRPCLimits, log *slog.Logger) (http.Handler, error) {
	if cfg.TLSClientCA != "" {
		why := "the JSON API is off: this hub requires client certificates (--tls-client-ca), which its plaintext HTTP listener cannot check; use gRPC"
		log.Info(why)
		return api.Off(why), nil
	}
	if !loopback(cfg.HTTPListen) {
		log.Warn("JSON API (/api/v1/) ON PLAINTEXT HTTP ON A NON-LOOPBACK ADDRESS: bearer tokens cross the network unencrypted; put a TLS-terminating proxy in front of it",
			"httpListen", cfg.HTTPListen)
	}
	o := api.Options{MaxRequestBytes: int64(l.AdminMaxMessageBytes)}
	if cfg.OIDC.Enabled() {
		o.SessionCookie = sso.CookieName // set by the browser's SSO login
	}
	return api.Handler(ctx, link.Conn(), o)
}

// ssoWeb serves the browser's SSO flow (/auth/) on the HTTP listener: off
// without SSO, and without the JSON API, whose cookie it sets.
func ssoWeb(cfg Config, acc *server.Accounts, log *slog.Logger) http.Handler {
	switch {
	case acc.SSO == nil:
		return sso.Off("SSO is not configured on this hub (--oidc-issuer, --oidc-client-id)")
	case cfg.TLSClientCA != "":
		return sso.Off("SSO's browser flow is off: this hub requires client certificates (--tls-client-ca), which its plaintext HTTP listener cannot check; use flotilla login --sso")
	}
	return sso.NewWeb(acc.SSO, acc, log).Handler()
}
