package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// parseLabelChanges reads kubectl-style label arguments: k=v sets a
// label, k- removes it.
func parseLabelChanges(list []string) (set map[string]string, remove []string, err error) {
	set = map[string]string{}
	for _, arg := range list {
		if k, v, ok := strings.Cut(arg, "="); ok {
			if k == "" {
				return nil, nil, fmt.Errorf("--label %q: want key=value or key-", arg)
			}
			set[k] = v
			continue
		}
		k, ok := strings.CutSuffix(arg, "-")
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("--label %q: want key=value or key-", arg)
		}
		remove = append(remove, k)
	}
	return set, remove, nil
}

func newClusterSetCmd(hf *hubFlags) *cobra.Command {
	var labels []string
	var output string
	cmd := &cobra.Command{
		Use: "set NAME --label k=v|k-", Short: "Set or remove a cluster's labels", Args: cobra.ExactArgs(1),
		Long: `Set changes a cluster's labels as kubectl label does: k=v sets a label,
k- removes it. Applications selecting clusters by label are planned again:
the cluster becomes, or stops being, one of their targets.`,
		Example: "  flotilla cluster set east --label env=prod --label canary-",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			if len(labels) == 0 {
				return fmt.Errorf("nothing to change: give --label k=v or --label k-")
			}
			set, remove, err := parseLabelChanges(labels)
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.cls.UpdateCluster(c.ctx(cmd.Context()), &pb.UpdateClusterRequest{Name: args[0], SetLabels: set, RemoveLabels: remove})
				if err != nil {
					return rpcErr(err)
				}
				if output == "table" {
					return printClusters(cmd, output, []*pb.Cluster{r.GetCluster()})
				}
				return printObject(cmd, output, viewCluster(r.GetCluster()), "")
			})
		},
	}
	cmd.Flags().StringArrayVar(&labels, "label", nil, "k=v sets a label, k- removes it (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json|yaml")
	return cmd
}

func newClusterRotateTokenCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "rotate-token NAME", Short: "Issue a new spoke token; the old one stops working", Args: cobra.ExactArgs(1),
		Long: `Rotate-token issues the cluster a new spoke token and prints it on stdout
(shown once; -o json prints {"name","token"}). The old token stops working
at once: the connected spoke is disconnected until it runs with the new one.`,
		Example: "  flotilla cluster rotate-token east > east.token",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.cls.RotateClusterToken(c.ctx(cmd.Context()), &pb.RotateClusterTokenRequest{Name: args[0]})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					return writeJSON(cmd.OutOrStdout(), map[string]string{"name": args[0], "token": r.GetToken()})
				}
				if _, err := fmt.Fprintln(cmd.OutOrStdout(), r.GetToken()); err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Give the spoke of cluster %s the new token (--token-file) and restart it.\n", args[0])
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json")
	return cmd
}
