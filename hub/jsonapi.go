package hub

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/flotilla-gitops/flotilla/hub/api"
	"github.com/flotilla-gitops/flotilla/hub/server"
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
	return api.Handler(ctx, link.Conn(), api.Options{MaxRequestBytes: int64(l.AdminMaxMessageBytes)})
}
