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

func newClusterAddCmd(hf *hubFlags) *cobra.Command {
	var labels []string
	var output string
	cmd := &cobra.Command{
		Use: "add NAME", Short: "Register a cluster; prints its spoke token", Args: cobra.ExactArgs(1),
		Long: `Add registers a cluster and prints its spoke token on stdout (shown once;
-o json prints {"name","token"}). The command to run the spoke goes to stderr.`,
		Example: "  flotilla cluster add east --label env=prod > east.token",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			lb, err := parseKV(labels, "--label")
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.cls.AddCluster(c.ctx(cmd.Context()), &pb.AddClusterRequest{Name: args[0], Labels: lb})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					err = writeJSON(cmd.OutOrStdout(), map[string]string{"name": args[0], "token": r.GetToken()})
				} else {
					_, err = fmt.Fprintln(cmd.OutOrStdout(), r.GetToken())
				}
				if err != nil {
					return err
				}
				cfg, rerr := hf.resolve()
				if rerr != nil {
					return rerr
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "Run the spoke in (or beside) cluster %s:\n  echo TOKEN > %s.token\n  flotilla-spoke --hub %s%s --token-file %s.token --kubeconfig KUBECONFIG --data-dir %s-spoke-data\n",
					args[0], args[0], cfg.Hub, spokeTLSFlags(cfg, args[0]), args[0], args[0])
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&labels, "label", nil, "cluster label k=v (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json")
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

// spokeTLSFlags are the spoke's flags to reach the hub as the CLI does:
// plaintext, or TLS with the same CA, and a certificate of the cluster's
// own where the CLI needs one (the hub requires mTLS).
func spokeTLSFlags(cfg Config, cluster string) string {
	var b strings.Builder
	switch {
	case !cfg.TLS:
		b.WriteString(" --insecure")
	case cfg.CAFile != "":
		b.WriteString(" --ca-file " + cfg.CAFile)
	case cfg.Insecure: // the spoke always verifies: it needs the hub's CA
		b.WriteString(" --ca-file HUB-CA.pem")
	}
	if cfg.TLS && cfg.CertFile != "" {
		fmt.Fprintf(&b, " --cert-file %s.crt --key-file %s.key", cluster, cluster)
	}
	return b.String()
}
