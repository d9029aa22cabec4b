package cli

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newClusterCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Aliases: []string{"clusters"}, Short: "Register and inspect clusters (spokes)"}
	cmd.AddCommand(newClusterAddCmd(hf), newClusterListCmd(hf), newClusterGetCmd(hf), newClusterRemoveCmd(hf),
		newClusterSetCmd(hf), newClusterRotateTokenCmd(hf))
	return cmd
}

type clusterView struct {
	Name         string            `json:"name"`
	Labels       map[string]string `json:"labels,omitempty"`
	State        string            `json:"state"`
	LastSeen     string            `json:"lastSeen,omitempty"`
	AgentVersion string            `json:"agentVersion,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
}

func viewCluster(c *pb.Cluster) clusterView {
	v := clusterView{Name: c.GetName(), Labels: c.GetLabels(), State: enumName(c.GetState().String(), "CONNECTION_STATE_"),
		AgentVersion: c.GetAgentVersion(), KubeVersion: c.GetKubeVersion()}
	if c.GetLastSeen() != nil {
		v.LastSeen = c.GetLastSeen().AsTime().Format(time.RFC3339)
	}
	return v
}

func printClusters(cmd *cobra.Command, output string, cs []*pb.Cluster) error {
	views := make([]clusterView, 0, len(cs))
	for _, c := range cs {
		views = append(views, viewCluster(c))
	}
	switch output {
	case "json":
		return writeJSON(cmd.OutOrStdout(), views)
	case "yaml":
		return writeYAML(cmd.OutOrStdout(), views)
	}
	rows := [][]string{{"NAME", "STATE", "LABELS", "LAST SEEN", "AGENT", "KUBERNETES"}}
	for _, v := range views {
		var lb []string
		for k, val := range v.Labels {
			lb = append(lb, k+"="+val)
		}
		sort.Strings(lb)
		rows = append(rows, []string{v.Name, v.State, orDash(strings.Join(lb, ",")), orDash(v.LastSeen), orDash(v.AgentVersion), orDash(v.KubeVersion)})
	}
	return table(cmd.OutOrStdout(), rows)
}

func newClusterListCmd(hf *hubFlags) *cobra.Command {
	var output string
	var selector []string
	cmd := &cobra.Command{
		Use: "list", Short: "List clusters", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			sel, err := parseKV(selector, "--selector")
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.cls.ListClusters(c.ctx(cmd.Context()), &pb.ListClustersRequest{Selector: sel})
				if err != nil {
					return rpcErr(err)
				}
				return printClusters(cmd, output, r.GetClusters())
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|wide|json|yaml")
	cmd.Flags().StringArrayVarP(&selector, "selector", "l", nil, "cluster label k=v (repeatable)")
	return cmd
}

func newClusterGetCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "get NAME", Short: "Show a cluster", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.cls.GetCluster(c.ctx(cmd.Context()), &pb.GetClusterRequest{Name: args[0]})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					return writeJSON(cmd.OutOrStdout(), viewCluster(r.GetCluster()))
				}
				return printClusters(cmd, output, []*pb.Cluster{r.GetCluster()})
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|wide|json|yaml")
	return cmd
}

func newClusterRemoveCmd(hf *hubFlags) *cobra.Command {
	return &cobra.Command{
		Use: "remove NAME", Aliases: []string{"rm"}, Short: "Unregister a cluster; its token stops working", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				if _, err := c.cls.RemoveCluster(c.ctx(cmd.Context()), &pb.RemoveClusterRequest{Name: args[0]}); err != nil {
					return rpcErr(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "cluster %s removed\n", args[0])
				return err
			})
		},
	}
}
