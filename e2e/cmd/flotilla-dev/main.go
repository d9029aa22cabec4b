// Command flotilla-dev runs local Kubernetes clusters for development and
// demos (see e2e/localcluster):
//
//	flotilla-dev cluster up     --dir DIR --count N [--nodes N] [--timeout D]
//	flotilla-dev cluster down   --dir DIR [--keep-logs]
//	flotilla-dev cluster status --dir DIR
//	flotilla-dev binaries       [--check]
//
// "up" builds the binaries the first time (minutes), stops what DIR held,
// starts N clusters in the background and prints "NAME<TAB>KUBECONFIG" per
// cluster once all are ready. "down" stops them by PID and deletes DIR's
// clusters. Logs go to stderr; only results go to stdout.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
