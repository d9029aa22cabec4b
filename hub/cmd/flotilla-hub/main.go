// Command flotilla-hub is Flotilla's central daemon: it watches Git,
// renders and plans, and streams plans to the spokes that dial in.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/internal/renderworker"
	"github.com/flotilla-gitops/flotilla/internal/version"
)

func main() {
	cfg := hub.DefaultConfig()
	flag.StringVar(&cfg.Listen, "listen", cfg.Listen, "gRPC listen address (spokes, admin API)")
	flag.StringVar(&cfg.HTTPListen, "http-listen", cfg.HTTPListen, "HTTP listen address (JSON API /api/v1/, SSO /auth/, webhook, /metrics, /healthz)")
	flag.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the hub's bbolt store and Git cache")
	flag.StringVar(&cfg.AdminTokenFile, "admin-token-file", "", "file holding the admin token (e.g. a mounted Secret), read at every start; it replaces every other admin token. Without it the first start generates one into --data-dir")
	flag.DurationVar(&cfg.SessionTTL, "session-duration", hub.DefaultSessionTTL, "how long a session from `flotilla login` lasts")
	flag.StringVar(&cfg.RBACPolicyFile, "rbac-policy", "", "RBAC policy in Argo CD's CSV format (p, SUBJECT, RESOURCE, ACTION, OBJECT, allow|deny; g, USER_OR_GROUP, role:NAME), added to the built-in role:admin and role:readonly")
	flag.StringVar(&cfg.RBACDefaultRole, "rbac-default-role", "", "role every authenticated caller has besides its own (e.g. role:readonly); none by default")
	flag.StringVar(&cfg.WebhookSecret, "webhook-secret", os.Getenv("FLOTILLA_WEBHOOK_SECRET"), "secret to verify webhook deliveries (or FLOTILLA_WEBHOOK_SECRET)")
	flag.DurationVar(&cfg.Controller.PollInterval, "poll-interval", cfg.Controller.PollInterval, "how often each repository is fetched")
	flag.IntVar(&cfg.Controller.RenderWorkers, "render-workers", cfg.Controller.RenderWorkers, "renders run at once, each in a worker process; this many are kept started")
	flag.DurationVar(&cfg.Controller.RenderTimeout, "render-timeout", cfg.Controller.RenderTimeout, "time limit of one render")
	flag.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate (PEM) for the gRPC listener; plaintext without it")
	flag.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key (PEM)")
	flag.StringVar(&cfg.TLSClientCA, "tls-client-ca", "", "CA bundle (PEM): every client (spokes, CLI) must present a certificate it signed (mTLS)")
	flag.StringVar(&cfg.ConfigRepo, "config-repo", "", "Git repository of the hub's own configuration (Applications, AppProjects, ApplicationSets as YAML, Argo CD's or Flotilla's), read by the application flotilla-config")
	flag.StringVar(&cfg.ConfigPath, "config-path", "", "directory of --config-repo to read (default: its root)")
	flag.StringVar(&cfg.ConfigRevision, "config-revision", "HEAD", "branch, tag or commit of --config-repo")
	registerSecurityFlags(flag.CommandLine, &cfg)
	registerStoreFlags(flag.CommandLine, &cfg)
	registerOIDCFlags(flag.CommandLine, &cfg)
	cfg.RenderLimits = renderworker.DefaultLimits()
	renderMem, renderOut := renderworker.Size(cfg.RenderLimits.Memory), renderworker.Size(cfg.RenderLimits.MaxOutput)
	flag.Var(&renderMem, "render-memory-limit", "memory one render worker may map beyond its idle footprint (e.g. 1GiB, 512MiB)")
	flag.DurationVar(&cfg.RenderLimits.CPU, "render-cpu-limit", cfg.RenderLimits.CPU, "CPU time of one render worker")
	flag.Var(&renderOut, "render-max-output", "largest render (JSON) the hub reads from a worker (e.g. 64MiB)")
	level := flag.String("log-level", "info", "debug, info, warn or error")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("flotilla-hub", version.Version)
		return
	}
	cfg.RenderLimits.Memory, cfg.RenderLimits.MaxOutput = int64(renderMem), int64(renderOut)
	if err := errors.Join(checkRenderFlags(cfg), checkStoreFlags(cfg), checkConfigFlags(flag.CommandLine, cfg), checkOIDCFlags(flag.CommandLine, cfg)); err != nil {
		fmt.Fprintf(os.Stderr, "flotilla-hub: %v\n", err)
		os.Exit(2)
	}
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

// checkConfigFlags refuses --config-path and --config-revision without
// --config-repo: they would do nothing.
func checkConfigFlags(fs *flag.FlagSet, cfg hub.Config) error {
	var errs []error
	fs.Visit(func(f *flag.Flag) {
		if (f.Name == "config-path" || f.Name == "config-revision") && cfg.ConfigRepo == "" {
			errs = append(errs, fmt.Errorf("-%s: needs -config-repo", f.Name))
		}
	})
	return errors.Join(errs...)
}

// checkRenderFlags refuses render flags that cannot work, naming the flag.
func checkRenderFlags(cfg hub.Config) error {
	if cfg.Controller.RenderWorkers < 1 {
		return fmt.Errorf("--render-workers %d: at least one worker is needed", cfg.Controller.RenderWorkers)
	}
	lim := cfg.RenderLimits
	lim.Wall = cfg.Controller.RenderTimeout
	return lim.Validate()
}
