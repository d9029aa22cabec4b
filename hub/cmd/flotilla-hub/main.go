// Command flotilla-hub is Flotilla's central daemon: it watches Git,
// renders and plans, and streams plans to the spokes that dial in.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/internal/version"
)

func main() {
	cfg := hub.DefaultConfig()
	flag.StringVar(&cfg.Listen, "listen", cfg.Listen, "gRPC listen address (spokes, admin API)")
	flag.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "HTTP listen address (webhook, /metrics, /healthz)")
	flag.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the hub's bbolt store and Git cache")
	flag.StringVar(&cfg.WebhookSecret, "webhook-secret", os.Getenv("FLOTILLA_WEBHOOK_SECRET"), "secret to verify webhook deliveries (or FLOTILLA_WEBHOOK_SECRET)")
	flag.DurationVar(&cfg.Controller.PollInterval, "poll-interval", cfg.Controller.PollInterval, "how often each repository is fetched")
	flag.IntVar(&cfg.Controller.RenderWorkers, "render-workers", cfg.Controller.RenderWorkers, "renders run at once")
	flag.DurationVar(&cfg.Controller.RenderTimeout, "render-timeout", cfg.Controller.RenderTimeout, "time limit of one render")
	flag.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate (PEM) for the gRPC listener; plaintext without it")
	flag.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key (PEM)")
	flag.StringVar(&cfg.TLSClientCA, "tls-client-ca", "", "CA bundle (PEM): every client (spokes, CLI) must present a certificate it signed (mTLS)")
	flag.BoolVar(&cfg.Profiling, "pprof", false, "serve /debug/pprof on the HTTP listener")
	level := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "flotilla-hub: -log-level: %v\n", err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv})).With("component", "hub")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("starting", "version", version.Version, "listen", cfg.Listen, "httpListen", cfg.HTTPListen, "dataDir", cfg.DataDir)
	h, err := hub.Start(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		os.Exit(1)
	}
	if h.AdminToken != "" {
		fmt.Fprintf(os.Stderr, "\nAdmin token (shown once; also in %s/%s):\n  %s\n\n", cfg.DataDir, hub.AdminTokenFile, h.AdminToken)
	}
	if err := h.Wait(); err != nil {
		log.Error("stopped with errors", "err", err)
		os.Exit(1)
	}
	log.Info("stopped")
}
