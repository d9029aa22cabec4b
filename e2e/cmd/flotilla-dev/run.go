package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
)

const usage = `usage:
  flotilla-dev cluster up     --dir DIR --count N [--nodes N] [--timeout D]
  flotilla-dev cluster down   --dir DIR [--keep-logs]
  flotilla-dev cluster status --dir DIR
  flotilla-dev binaries       [--check]
  flotilla-dev demo           [--dir DIR] [--clusters N] [--exit-when-ready]
`

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func defaultDir() string { return filepath.Join(os.TempDir(), "flotilla-dev") }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch {
	case args[0] == "demo":
		err = runDemo(ctx, log, args[1:], stdout, stderr)
	case args[0] == "binaries":
		err = binaries(ctx, args[1:], stdout, stderr)
	case args[0] == "cluster" && len(args) > 1 && args[1] == "up":
		err = up(ctx, log, args[2:], stdout, stderr)
	case args[0] == "cluster" && len(args) > 1 && args[1] == "down":
		err = down(ctx, log, args[2:], stderr)
	case args[0] == "cluster" && len(args) > 1 && args[1] == "status":
		err = status(ctx, args[2:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "flotilla-dev: %v\n%s", err, usage)
		return exitUsage
	default:
		log.Error("failed", "err", err)
		return exitFail
	}
}

type usageError struct{ error }

func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	return nil
}

func binaries(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("binaries", flag.ContinueOnError)
	check := fs.Bool("check", false, "fail instead of building when a binary is missing or stale")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	policy := localcluster.BuildIfNeeded
	if *check {
		policy = localcluster.FailIfMissing
	}
	dir, err := localcluster.Binaries(ctx, policy, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, dir)
	return nil
}

func up(ctx context.Context, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster up", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "directory holding the clusters")
	count := fs.Int("count", 1, "number of clusters")
	nodes := fs.Int("nodes", 2, "fake nodes per cluster")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long each cluster may take to become ready (binaries build first, without limit)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *count < 1 {
		return usageError{fmt.Errorf("--count must be at least 1")}
	}
	start := time.Now()
	bin, err := localcluster.Binaries(ctx, localcluster.BuildIfNeeded, stderr)
	if err != nil {
		return err
	}
	log.Info("starting clusters", "dir", *dir, "count", *count, "binaries", bin)
	clusters, err := localcluster.StartFleet(ctx, localcluster.FleetOptions{
		Dir: *dir, Count: *count, Nodes: *nodes, BinDir: bin, Detach: true, ReadyTimeout: *timeout,
	})
	if err != nil {
		return err
	}
	for _, c := range clusters {
		fmt.Fprintf(stdout, "%s\t%s\n", c.Name, c.Kubeconfig)
	}
	log.Info("clusters ready", "dir", *dir, "count", len(clusters), "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

func down(ctx context.Context, log *slog.Logger, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster down", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "directory holding the clusters")
	keepLogs := fs.Bool("keep-logs", false, "keep each cluster's logs/ directory")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	removal := localcluster.RemoveData
	if *keepLogs {
		removal = localcluster.KeepLogs
	}
	if err := localcluster.StopFleet(ctx, *dir, removal); err != nil {
		return err
	}
	log.Info("clusters stopped", "dir", *dir, "logsKept", *keepLogs)
	return nil
}

func status(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cluster status", flag.ContinueOnError)
	dir := fs.String("dir", defaultDir(), "directory holding the clusters")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	all, err := localcluster.Status(ctx, *dir)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return fmt.Errorf("%s: %w", *dir, localcluster.ErrNoCluster)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREADY\tSERVER\tKUBECONFIG\tPROCESSES")
	notReady := 0
	for _, s := range all {
		if !s.Ready {
			notReady++
		}
		fmt.Fprintf(tw, "%s\t%t\t%s\t%s\t%s\n", s.Name, s.Ready, s.Server, s.Kubeconfig, processes(s.Running))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if notReady > 0 {
		var errs []error
		for _, s := range all {
			if s.Err != nil {
				errs = append(errs, s.Err)
			}
		}
		return fmt.Errorf("%d of %d clusters not ready: %w", notReady, len(all), errors.Join(errs...))
	}
	return nil
}

// processes renders "etcd=up,kwok=down,...".
func processes(running map[string]bool) string {
	names := make([]string, 0, len(running))
	for n := range running {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		state := "down"
		if running[n] {
			state = "up"
		}
		parts[i] = n + "=" + state
	}
	return strings.Join(parts, ",")
}
