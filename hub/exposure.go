package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/flotilla-gitops/flotilla/hub/server"
	"github.com/flotilla-gitops/flotilla/hub/sso"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/pkg/rbac"
)

// loopback reports whether a listen address only accepts local callers
// (an empty host or 0.0.0.0 listens on every interface).
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// warnExposed logs loudly what a hub reachable from other machines serves
// without protection.
func warnExposed(cfg Config, log *slog.Logger) {
	if cfg.TLSCert == "" && !loopback(cfg.Listen) {
		log.Warn("PLAINTEXT gRPC ON A NON-LOOPBACK ADDRESS: tokens, plans and Secrets in them cross the network unencrypted; set --tls-cert and --tls-key",
			"listen", cfg.Listen)
	}
	if cfg.WebhookSecret == "" && !loopback(cfg.HTTPListen) {
		log.Warn("webhook without a secret on a non-loopback address: anyone who reaches it can trigger Git fetches; set --webhook-secret",
			"httpListen", cfg.HTTPListen)
	}
}

// httpLimits bound every connection to the HTTP listener (webhook,
// /metrics, /healthz): a client that sends or reads slowly is cut off.
var httpLimits = struct {
	ReadHeader, Read, Write, Idle time.Duration
	MaxHeaderBytes                int
}{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second, Idle: 2 * time.Minute, MaxHeaderBytes: 64 << 10}

// publicHTTPServer serves h with httpLimits.
func publicHTTPServer(h http.Handler) *http.Server {
	l := httpLimits
	return &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeader, ReadTimeout: l.Read, WriteTimeout: l.Write,
		IdleTimeout: l.Idle, MaxHeaderBytes: l.MaxHeaderBytes}
}

// startPprof serves /debug/pprof on addr, which must be loopback; it
// returns nil when addr is empty. The server stops when ctx ends.
func (h *Hub) startPprof(ctx context.Context, addr string, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	if !loopback(addr) {
		return fmt.Errorf("--pprof-listen %s: pprof is served only on a loopback address (127.0.0.1:PORT, [::1]:PORT, localhost:PORT)", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof-listen %s: %w", addr, err)
	}
	h.PprofAddr = l.Addr()
	ps := &http.Server{Handler: server.NewPprof(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := ps.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof listener", "addr", addr, "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := ps.Shutdown(sctx); err != nil {
			log.Warn("pprof listener shutdown", "err", err)
		}
	}()
	log.Info("pprof listening", "addr", h.PprofAddr.String())
	return nil
}

// grpcOptions validates the configured gRPC limits and audit retention
// (zero: the defaults) and the Git fetch timeout, and builds the audit
// log.
// DefaultSessionTTL is how long a login lasts, as Argo CD's default.
const DefaultSessionTTL = 24 * time.Hour

func grpcOptions(cfg Config, st *store.Store, log *slog.Logger) (server.GRPCOptions, error) {
	o := server.GRPCOptions{Limits: server.DefaultGRPCLimits(), Log: log}
	if cfg.GRPCLimits != (server.GRPCLimits{}) {
		if err := cfg.GRPCLimits.Validate(); err != nil {
			return o, err
		}
		o.Limits = cfg.GRPCLimits
	}
	if cfg.Controller.FetchTimeout < 0 {
		return o, fmt.Errorf("--git-fetch-timeout %v: want 0 (the default) or more", cfg.Controller.FetchTimeout)
	}
	keep := store.DefaultAuditRetention()
	if cfg.AuditRetention != (store.AuditRetention{}) {
		if cfg.AuditRetention.MaxEntries < 1 || cfg.AuditRetention.MaxAge <= 0 {
			return o, fmt.Errorf("--audit-max-entries %d, --audit-max-age %v: want both above 0", cfg.AuditRetention.MaxEntries, cfg.AuditRetention.MaxAge)
		}
		keep = cfg.AuditRetention
	}
	o.Audit = &server.Audit{Store: st, Log: log, Retention: keep}
	ttl := cfg.SessionTTL
	if ttl == 0 {
		ttl = DefaultSessionTTL
	}
	if ttl < time.Minute {
		return o, fmt.Errorf("--session-duration %v: want a minute or more", cfg.SessionTTL)
	}
	enf, err := rbacEnforcer(cfg)
	if err != nil {
		return o, err
	}
	authz := &server.RBAC{Enforcer: enf, Store: st}
	o.Auth = &server.Auth{Store: st, Authz: authz}
	o.Accounts = server.NewAccounts(st, ttl)
	o.Accounts.Allowed, o.Accounts.Roles, o.Accounts.KnownRole = authz.Allowed, authz.Roles, enf.HasRole
	if o.Accounts.SSO, err = sso.New(cfg.OIDC); err != nil {
		return o, err
	}
	if o.Accounts.SSO != nil && cfg.TLSClientCA == "" {
		o.Accounts.SSOLoginPath = sso.LoginPath
	}
	o.Accounts.AdminTokenFile = filepath.Join(cfg.DataDir, AdminTokenFile)
	if cfg.AdminTokenFile != "" {
		o.Accounts.AdminTokenFile, o.Accounts.FromFile = "", true
	}
	return o, nil
}

// maxPolicyBytes bounds --rbac-policy.
const maxPolicyBytes = 1 << 20

// rbacEnforcer loads --rbac-policy over the built-in policy.
func rbacEnforcer(cfg Config) (*rbac.Enforcer, error) {
	var policy []byte
	if cfg.RBACPolicyFile != "" {
		fi, err := os.Stat(cfg.RBACPolicyFile)
		if err != nil {
			return nil, fmt.Errorf("--rbac-policy: %w", err)
		}
		if fi.Size() > maxPolicyBytes {
			return nil, fmt.Errorf("--rbac-policy %s: %d bytes, more than %d", cfg.RBACPolicyFile, fi.Size(), maxPolicyBytes)
		}
		if policy, err = os.ReadFile(cfg.RBACPolicyFile); err != nil {
			return nil, fmt.Errorf("--rbac-policy: %w", err)
		}
	}
	enf, err := rbac.New(string(policy), cfg.RBACDefaultRole)
	if err != nil {
		return nil, fmt.Errorf("--rbac-policy %s, --rbac-default-role %q: %w", cfg.RBACPolicyFile, cfg.RBACDefaultRole, err)
	}
	return enf, nil
}
