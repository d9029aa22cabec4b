// Package server is the hub's network face: the gRPC SpokeService and
// admin API (with reflection and grpc.health.v1), and the HTTP endpoints
// for webhooks, metrics and liveness.
package server

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/pkg/rbac"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// GRPCOptions configure the gRPC server.
type GRPCOptions struct {
	Limits GRPCLimits
	Audit  *Audit // records mutating admin calls; its ListAuditEntries is served
	Log    *slog.Logger
	// Auth authenticates and authorizes admin calls; nil: the built-in
	// RBAC policy (the admin token and role:admin do everything).
	Auth *Auth
	// Accounts serves AccountService; nil: NewAccounts with a day's sessions.
	Accounts *Accounts
}

// NewGRPC builds the gRPC server with every service registered. The
// interceptors run in this order: audit (sees every outcome), panic
// recovery, authentication, per-service limits.
func NewGRPC(core *Core, admin *Admin, o GRPCOptions, extra ...grpc.ServerOption) *grpc.Server {
	lm := newLimiter(o.Limits)
	auth := o.Auth
	if auth == nil {
		enf, err := rbac.New("", "")
		if err != nil {
			panic(fmt.Sprintf("the built-in RBAC policy: %v", err))
		}
		auth = &Auth{Store: core.Store, Authz: &RBAC{Enforcer: enf, Store: core.Store}}
	}
	s := grpc.NewServer(append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(o.Audit.Unary(), UnaryRecover(o.Log), auth.Unary(), lm.unary()),
		grpc.ChainStreamInterceptor(StreamRecover(o.Log), auth.Stream(), lm.stream()),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(o.Limits.maxRecv()), grpc.MaxSendMsgSize(o.Limits.MaxSendMessageBytes),
	}, extra...)...)
	pb.RegisterSpokeServiceServer(s, core.Spokes)
	pb.RegisterApplicationServiceServer(s, admin)
	pb.RegisterProjectServiceServer(s, admin)
	pb.RegisterClusterServiceServer(s, admin)
	pb.RegisterRolloutServiceServer(s, &Rollouts{Core: core, Ctrl: admin.Ctrl})
	pb.RegisterRepositoryServiceServer(s, &Repos{Core: core})
	pb.RegisterAuditServiceServer(s, o.Audit)
	accounts := o.Accounts
	if accounts == nil {
		accounts = NewAccounts(core.Store, 24*time.Hour)
	}
	if r, ok := auth.Authz.(*RBAC); ok && accounts.Allowed == nil {
		accounts.Allowed, accounts.Roles = r.Allowed, r.Roles
	}
	pb.RegisterAccountServiceServer(s, accounts)
	cfg := &Config{Core: core, Ctrl: admin.Ctrl}
	pb.RegisterConfigServiceServer(s, cfg)
	pb.RegisterApplicationSetServiceServer(s, cfg)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	return s
}

// NewHTTP serves /api/webhook, /metrics and /healthz, none of which needs
// a token (the webhook checks its secret). pprof is never here: see
// NewPprof.
func NewHTTP(core *Core, refresher Refresher, secret string, reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/api/webhook", &Webhook{Secret: secret, Core: core, Refresher: refresher})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := core.Store.ListProjects(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if _, err := w.Write([]byte("ok\n")); err != nil {
			core.log.Warn("healthz reply", "err", err)
		}
	})
	return mux
}

// NewPprof serves /debug/pprof, for a loopback-only listener of its own.
func NewPprof() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Registry returns a Prometheus registry with the hub's metrics and the
// Go runtime's.
func Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	reg.MustRegister(Collectors()...)
	reg.MustRegister(controller.Collectors()...)
	return reg
}
