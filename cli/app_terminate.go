package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newAppTerminateOpCmd(hf *hubFlags) *cobra.Command {
	var clusters []string
	cmd := &cobra.Command{
		Use: "terminate-op NAME", Short: "Stop the application's running syncs", Args: cobra.ExactArgs(1),
		Long: `Terminate-op (Argo CD's) stops the running sync of each target (every
target with one running, or the --cluster ones): the spoke cancels it at
once, the next waves are not applied, and the operation fails with
"terminated by WHO". A terminated sync is not retried (syncPolicy.retry);
sync again to run the plan. A --cluster target with no sync running, or an
application with none, is an error; so is a cluster whose spoke is not
connected.`,
		Example: "  flotilla app terminate-op guestbook --cluster east\n  flotilla app wait guestbook --operation",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				r, err := c.apps.TerminateOperation(c.ctx(cmd.Context()), &pb.TerminateOperationRequest{Name: args[0], Clusters: clusters})
				if err != nil {
					return rpcErr(err)
				}
				for _, t := range r.GetTargets() {
					fmt.Fprintf(cmd.OutOrStdout(), "application %s: operation on %s (plan %s) terminating\n", args[0], t.GetCluster(),
						shortRev(t.GetOperation().GetPlanHash()))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&clusters, "cluster", nil, "only these clusters (repeatable)")
	return cmd
}
