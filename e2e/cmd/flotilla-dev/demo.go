package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/flotilla-gitops/flotilla/e2e/demo"
)

// runDemo is `flotilla-dev demo`: Flotilla's main job on local clusters.
func runDemo(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	o := demo.Options{Out: stdout, Log: log}
	fs.StringVar(&o.Dir, "dir", filepath.Join(os.TempDir(), "flotilla-demo"), "directory for clusters, hub data, Git and logs")
	fs.IntVar(&o.Clusters, "clusters", 2, "number of local clusters")
	fs.StringVar(&o.HubListen, "hub-listen", "127.0.0.1:7443", "hub gRPC address")
	fs.StringVar(&o.HTTPListen, "http-listen", "127.0.0.1:7480", "hub HTTP address (webhook, metrics)")
	fs.StringVar(&o.SpokeBinary, "spoke", siblingBinary("flotilla-spoke"), "flotilla-spoke binary")
	fs.BoolVar(&o.ExitWhenReady, "exit-when-ready", false, "stop once every application is Synced and Healthy (for scripts)")
	fs.DurationVar(&o.ReadyTimeout, "ready-timeout", 5*time.Minute, "how long the applications may take to become ready")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	return demo.Run(ctx, o)
}

// siblingBinary finds name next to this executable, else on PATH.
func siblingBinary(name string) string {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}
