// Package hub runs Flotilla's hub: store, Git sources, controller, gRPC
// and HTTP servers. cmd/flotilla-hub is a thin main around Run.
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
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/flotilla-gitops/flotilla/hub/api"
	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/helmrepo"
	"github.com/flotilla-gitops/flotilla/hub/server"
	"github.com/flotilla-gitops/flotilla/hub/source"
	"github.com/flotilla-gitops/flotilla/hub/sso"
	"github.com/flotilla-gitops/flotilla/hub/store"
	"github.com/flotilla-gitops/flotilla/internal/renderworker"
	"github.com/flotilla-gitops/flotilla/internal/tlsfiles"
)

// Config is the hub's configuration; DefaultConfig serves a local demo.
type Config struct {
	Listen        string // gRPC
	HTTPListen    string // webhook, /metrics, /healthz
	DataDir       string
	WebhookSecret string
	TLSCert       string // PEM files; plaintext when empty (local use)
	TLSKey        string
	// TLSClientCA, when set, makes every client (spokes and CLI) present
	// a certificate it signed (mTLS), on top of its bearer token.
	TLSClientCA string
	// PprofListen, when set, serves /debug/pprof on a listener of its own,
	// which must be a loopback address (pprof is never on HTTPListen).
	PprofListen string
	Controller  controller.Options
	// SpokeLimits bound what one spoke may send (zero: the defaults).
	SpokeLimits server.SpokeLimits
	// GRPCLimits bound each gRPC service (zero: the defaults).
	GRPCLimits server.GRPCLimits
	// AuditRetention bounds the audit log (zero: the defaults).
	AuditRetention store.AuditRetention
	// RenderLimits bound each render worker process (zero: the defaults);
	// their wall clock is Controller.RenderTimeout.
	RenderLimits renderworker.Limits
	// GCInterval is how often the store's unreferenced plans and renders
	// are deleted (also after a deletion); 0 disables it.
	GCInterval time.Duration
	// ConfigRepo, when set, makes the hub's configuration declarative: the
	// application flotilla-config reads ConfigPath of ConfigRepo at
	// ConfigRevision and declares the applications, projects, sets and
	// cluster labels it holds.
	ConfigRepo, ConfigRevision, ConfigPath string
	// AdminTokenFile, when set, holds the admin token (a mounted Secret):
	// read at every start, it replaces every other admin token, so
	// rotating it is changing the file and restarting. Without it the
	// first start generates one into DataDir.
	AdminTokenFile string
	// SessionTTL is how long a login's session lasts (default a day).
	SessionTTL time.Duration
	// RBACPolicyFile holds policy lines in Argo CD's CSV format, added to
	// the built-in roles; RBACDefaultRole is every caller's role as well
	// (Argo CD's policy.default).
	RBACPolicyFile, RBACDefaultRole string
	// OIDC configures single sign-on with an OpenID Connect provider (the
	// --oidc-* flags); off without an issuer.
	OIDC sso.Config
}

// DefaultConfig listens on loopback with Argo CD-like defaults.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:7443", HTTPListen: "127.0.0.1:7480", DataDir: "flotilla-hub-data", Controller: controller.DefaultOptions(),
		SpokeLimits: server.DefaultSpokeLimits(), GRPCLimits: server.DefaultGRPCLimits(), AuditRetention: store.DefaultAuditRetention(),
		GCInterval: DefaultGCInterval}
}

// Hub is a running hub.
type Hub struct {
	GRPCAddr   net.Addr
	HTTPAddr   net.Addr
	PprofAddr  net.Addr // nil without Config.PprofListen
	AdminToken string   // set when this start created it
	Store      *store.Store
	Controller *controller.Controller
	Spokes     *server.Spokes

	done chan error
}

// AdminTokenFile is where the first start writes the admin token (0600).
const AdminTokenFile = "admin-token"

// Start opens the store, starts the servers and the controller; Wait
// returns when ctx ends and everything stopped.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Hub, error) {
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cs := st.Compaction(); cs.Compacted {
		log.Info("store compacted", "dataDir", cfg.DataDir, "bytesBefore", cs.Before, "bytesAfter", cs.After)
	}
	h := &Hub{Store: st, done: make(chan error, 1)}
	fail := func(err error) (*Hub, error) { return nil, errors.Join(err, st.Close()) }
	if cfg.AdminTokenFile != "" {
		err = setAdminToken(st, cfg.AdminTokenFile)
	} else {
		h.AdminToken, err = ensureAdminToken(st, cfg.DataDir)
	}
	if err != nil {
		return fail(err)
	}
	events := server.NewEvents()
	core := server.NewCore(st, events, log)
	h.Spokes = server.NewSpokes(st, core, log)
	if cfg.SpokeLimits != (server.SpokeLimits{}) {
		if err := cfg.SpokeLimits.Validate(); err != nil {
			return fail(err)
		}
		h.Spokes.Limits = cfg.SpokeLimits
	}
	core.Spokes = h.Spokes
	pool, err := startRenderPool(cfg)
	if err != nil {
		return fail(err)
	}
	fail = func(err error) (*Hub, error) { return nil, errors.Join(err, pool.Close(), st.Close()) }
	cfg.Controller.Renderer = pool
	cfg.Controller.Charts = helmrepo.New(filepath.Join(cfg.DataDir, "charts"), cfg.Controller.FetchTimeout, helmrepo.DefaultLimits())
	h.Controller = controller.New(st, source.NewCache(filepath.Join(cfg.DataDir, "git")), core, log, cfg.Controller)
	core.Changed = h.Controller.Poke
	h.Spokes.DiscoveryChanged = h.Controller.DiscoveryChanged
	if cfg.ConfigRepo != "" {
		if err := h.Controller.Bootstrap(cfg.ConfigRepo, cfg.ConfigRevision, cfg.ConfigPath); err != nil {
			return fail(fmt.Errorf("--config-repo: %w", err))
		}
	}
	admin := &server.Admin{Core: core, Ctrl: h.Controller}
	var opts []grpc.ServerOption
	if cfg.TLSCert != "" || cfg.TLSKey != "" || cfg.TLSClientCA != "" {
		tc, err := tlsfiles.Server(cfg.TLSCert, cfg.TLSKey, cfg.TLSClientCA)
		if err != nil {
			return fail(fmt.Errorf("TLS: %w", err))
		}
		opts = append(opts, grpc.Creds(api.LinkCreds(credentials.NewTLS(tc))))
	}
	gopts, err := grpcOptions(cfg, st, log)
	if err != nil {
		return fail(err)
	}
	link, err := api.NewLink(gopts.Limits.MaxSendMessageBytes) // the JSON API's in-process connection to gs
	if err != nil {
		return fail(err)
	}
	fail = func(err error) (*Hub, error) { return nil, errors.Join(err, link.Close(), pool.Close(), st.Close()) }
	gs := server.NewGRPC(core, admin, gopts, append(opts, api.ServerOptions()...)...)
	gl, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail(fmt.Errorf("listen %s: %w", cfg.Listen, err))
	}
	hl, err := net.Listen("tcp", cfg.HTTPListen)
	if err != nil {
		return fail(errors.Join(fmt.Errorf("listen %s: %w", cfg.HTTPListen, err), gl.Close()))
	}
	h.GRPCAddr, h.HTTPAddr = gl.Addr(), hl.Addr()
	hmux := server.NewHTTP(core, h.Controller, cfg.WebhookSecret, server.Registry())
	apiHandler, err := jsonAPI(ctx, cfg, link, gopts.Limits, log)
	if err != nil {
		return fail(errors.Join(err, gl.Close(), hl.Close()))
	}
	hmux.Handle(api.Prefix, apiHandler)
	hmux.Handle("/auth/", ssoWeb(cfg, gopts.Accounts, log))
	hs := publicHTTPServer(hmux)
	if err := h.startPprof(ctx, cfg.PprofListen, log); err != nil {
		return fail(errors.Join(err, gl.Close(), hl.Close()))
	}
	warnExposed(cfg, log)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	wg.Add(5)
	for _, l := range []net.Listener{gl, link.Listener()} {
		go func() {
			defer wg.Done()
			if err := gs.Serve(l); !errors.Is(err, grpc.ErrServerStopped) {
				errs <- err
			}
		}()
	}
	go func() {
		defer wg.Done()
		if err := hs.Serve(hl); !errors.Is(err, http.ErrServerClosed) {
			errs <- err
		}
	}()
	go func() { defer wg.Done(); h.Controller.Run(ctx) }()
	go func() { defer wg.Done(); collectGarbage(ctx, st, h.Controller, cfg.GCInterval, log) }()
	log.Info("hub started", "grpc", h.GRPCAddr.String(), "http", h.HTTPAddr.String(), "dataDir", cfg.DataDir)
	go func() {
		<-ctx.Done()
		stopped := make(chan struct{})
		go func() { gs.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			gs.Stop()
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		herr := hs.Shutdown(sctx)
		wg.Wait()
		close(errs)
		var all []error
		for e := range errs {
			if e != nil {
				all = append(all, e)
			}
		}
		h.done <- errors.Join(append(all, herr, link.Close(), pool.Close(), st.Close())...)
	}()
	return h, nil
}

// Wait blocks until the hub stopped and returns what went wrong.
func (h *Hub) Wait() error { return <-h.done }

// ensureAdminToken creates the admin token on first start, writing it to
// DIR/admin-token with mode 0600; it returns the token only when created.
func ensureAdminToken(st *store.Store, dir string) (string, error) {
	ok, err := st.HasAdminToken()
	if err != nil || ok {
		return "", err
	}
	tok, err := server.NewToken("flta_")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, AdminTokenFile), []byte(tok+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := st.PutToken(tok, store.Principal{Kind: "admin", Name: "admin"}); err != nil {
		return "", err
	}
	return tok, nil
}
