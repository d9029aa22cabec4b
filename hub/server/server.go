// Package server is the hub's network face: the gRPC SpokeService and
// admin API (with reflection and grpc.health.v1), and the HTTP endpoints
// for webhooks, metrics and liveness.
package server

import (
	"context"
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
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// NewGRPC builds the gRPC server with every service registered.
func NewGRPC(hub *Hub, admin *Admin, extra ...grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(UnaryAuth(hub.Store)),
		grpc.ChainStreamInterceptor(StreamAuth(hub.Store)),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(64 << 20), grpc.MaxSendMsgSize(256 << 20),
	}, extra...)...)
	pb.RegisterSpokeServiceServer(s, hub.Spokes)
	pb.RegisterApplicationServiceServer(s, admin)
	pb.RegisterProjectServiceServer(s, admin)
	pb.RegisterClusterServiceServer(s, admin)
	pb.RegisterRolloutServiceServer(s, &Rollouts{Hub: hub, Ctrl: admin.Ctrl})
	pb.RegisterRepositoryServiceServer(s, &Repos{Hub: hub})
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(s, hs)
	reflection.Register(s)
	return s
}

// NewHTTP serves /api/webhook, /metrics and /healthz.
func NewHTTP(ctx context.Context, hub *Hub, refresher Refresher, secret string, reg *prometheus.Registry, profiling bool) *http.ServeMux {
	mux := http.NewServeMux()
	if profiling {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/api/webhook", &Webhook{Secret: secret, Hub: hub, Refresher: refresher, Background: ctx})
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := hub.Store.ListProjects(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if _, err := w.Write([]byte("ok\n")); err != nil {
			hub.log.Warn("healthz reply", "err", err)
		}
	})
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
