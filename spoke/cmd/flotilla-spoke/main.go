// Command flotilla-spoke is Flotilla's per-cluster agent. Until the spoke
// issue lands it starts, logs its configuration and stops cleanly on
// SIGINT or SIGTERM.
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
	hub := flag.String("hub", "127.0.0.1:7443", "hub address to dial")
	dataDir := flag.String("data-dir", "flotilla-spoke-data", "directory for the spoke's bbolt store")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "spoke")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log.Info("starting", "version", version.Version, "hub", *hub, "dataDir", *dataDir)
	<-ctx.Done()
	log.Info("stopped")
}
