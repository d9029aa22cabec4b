// Command flotilla-hub is Flotilla's central daemon. Until the hub issue
// lands it starts, logs its configuration and stops cleanly on SIGINT or
// SIGTERM.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/flotilla-gitops/flotilla/internal/version"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:7443", "gRPC listen address")
	dataDir := flag.String("data-dir", "flotilla-hub-data", "directory for the hub's bbolt store and Git cache")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "hub")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("starting", "version", version.Version, "listen", *listen, "dataDir", *dataDir)
	<-ctx.Done()
	log.Info("stopped")
}
