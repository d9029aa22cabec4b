// Package cli is the `flotilla` command. Offline verbs (render, plan,
// health, diff) use pkg/ directly; hub verbs arrive with the hub.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/internal/version"
)

// Exit codes scripts can rely on.
const (
	ExitOK    = 0
	ExitError = 1 // bad input, failed command
	ExitDiff  = 1 // `diff`: differences found (as kubectl diff)
	ExitUsage = 2 // `diff`: error; any verb: bad flags
)

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errDiffFound makes `diff` exit 1 without printing an error line.
var errDiffFound = errors.New("differences found")

// NewRoot builds the command tree writing to out and errOut.
func NewRoot(out, errOut io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "flotilla",
		Short: "Flotilla: GitOps continuous delivery for fleets of Kubernetes clusters",
		Long: `Flotilla renders desired state from Git once per revision, plans it in
Argo CD-compatible phases and waves, and streams the plan to an agent in
each cluster. The offline verbs (render, plan, health, diff) work on local
files with no hub or cluster.`,
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errOut)
	hf := &hubFlags{}
	hf.register(root)
	root.AddCommand(newRenderCmd(), newPlanCmd(), newHealthCmd(), newDiffCmd(),
		newLoginCmd(hf), newAppCmd(hf), newClusterCmd(hf), newProjectCmd(hf), newRolloutCmd(hf), newRepoCmd(hf), newAuditCmd(hf),
		newApplyCmd(hf), newExportCmd(hf), newAppSetCmd(hf), newAccountCmd(hf))
	return root
}

// Main runs the CLI on the process's streams and returns the exit code.
func Main(args []string) int { return Run(args, os.Stdin, os.Stdout, os.Stderr) }

// Run runs the CLI with args and streams and returns the exit code. Errors
// are one line on errOut: "flotilla: <what, where, why>".
func Run(args []string, in io.Reader, out, errOut io.Writer) int {
	root := NewRoot(out, errOut)
	root.SetIn(in)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errDiffFound) {
		return ExitDiff
	}
	fmt.Fprintf(errOut, "flotilla: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}
