package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newProjectCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "project", Aliases: []string{"projects", "proj"}, Short: "Manage projects (what applications may deploy where)"}
	cmd.AddCommand(newProjectCreateCmd(hf), newProjectListCmd(hf), newProjectGetCmd(hf), newProjectDeleteCmd(hf), newProjectWindowsCmd(hf))
	return cmd
}

func newProjectCreateCmd(hf *hubFlags) *cobra.Command {
	var repos, dests, allowCluster, denyNamespaced []string
	var desc string
	var upsert, force bool
	var allowNamespaced, denyCluster []string
	cmd := &cobra.Command{
		Use: "create NAME", Short: "Create a project", Args: cobra.ExactArgs(1),
		Example: `  flotilla project create team-a --repo 'https://git.example.com/team-a/*' \
    --dest '*:team-a-*' --allow-cluster-resource rbac.authorization.k8s.io/ClusterRole`,
		RunE: func(cmd *cobra.Command, args []string) error {
			p := &pb.Project{Name: args[0], Description: desc, SourceRepos: repos}
			for _, d := range dests {
				cl, ns, ok := strings.Cut(d, ":")
				if !ok {
					return fmt.Errorf("--dest %q: want CLUSTER:NAMESPACE (globs allowed)", d)
				}
				p.Destinations = append(p.Destinations, &pb.ProjectDestination{Cluster: cl, Namespace: ns})
			}
			for _, gk := range allowCluster {
				p.ClusterResourceWhitelist = append(p.ClusterResourceWhitelist, parseGK(gk))
			}
			for _, gk := range denyNamespaced {
				p.NamespaceResourceBlacklist = append(p.NamespaceResourceBlacklist, parseGK(gk))
			}
			for _, gk := range denyCluster {
				p.ClusterResourceBlacklist = append(p.ClusterResourceBlacklist, parseGK(gk))
			}
			for _, gk := range allowNamespaced {
				p.NamespaceResourceWhitelist = append(p.NamespaceResourceWhitelist, parseGK(gk))
			}
			return withClient(hf, func(c *client) error {
				if _, err := c.prj.CreateProject(c.ctx(cmd.Context()), &pb.CreateProjectRequest{Project: p, Upsert: upsert, Force: force}); err != nil {
					return rpcErr(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "project %s created\n", p.GetName())
				return err
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&desc, "description", "", "description")
	fl.StringArrayVar(&repos, "repo", nil, "allowed source repository (glob; repeatable; '*' for any)")
	fl.StringArrayVar(&dests, "dest", nil, "allowed destination CLUSTER:NAMESPACE (globs; repeatable)")
	fl.StringArrayVar(&allowCluster, "allow-cluster-resource", nil, "allowed cluster-scoped GROUP/KIND (core group: just KIND; repeatable)")
	fl.StringArrayVar(&denyNamespaced, "deny-namespaced-resource", nil, "denied namespaced GROUP/KIND (repeatable)")
	fl.StringArrayVar(&denyCluster, "deny-cluster-resource", nil, "denied cluster-scoped GROUP/KIND, even when allowed (repeatable)")
	fl.StringArrayVar(&allowNamespaced, "allow-namespaced-resource", nil, "when set, the only namespaced GROUP/KINDs allowed (repeatable)")
	fl.BoolVar(&upsert, "upsert", false, "replace the project if it exists")
	fl.BoolVar(&force, "force", false, "replace a project declared in Git anyway")
	return cmd
}

// parseGK reads GROUP/KIND, or KIND for the core group.
func parseGK(s string) *pb.GroupKind {
	if g, k, ok := strings.Cut(s, "/"); ok {
		return &pb.GroupKind{Group: g, Kind: k}
	}
	return &pb.GroupKind{Kind: s}
}

func newProjectListCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "list", Short: "List projects", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.prj.ListProjects(c.ctx(cmd.Context()), &pb.ListProjectsRequest{})
				if err != nil {
					return rpcErr(err)
				}
				return printProjects(cmd, output, r.GetProjects())
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|wide|json|yaml")
	return cmd
}

func printProjects(cmd *cobra.Command, output string, ps []*pb.Project) error {
	switch output {
	case "json":
		return writeJSON(cmd.OutOrStdout(), ps)
	case "yaml":
		return writeYAML(cmd.OutOrStdout(), ps)
	}
	rows := [][]string{{"NAME", "REPOS", "DESTINATIONS", "CLUSTER RESOURCES"}}
	for _, p := range ps {
		var dests, gks []string
		for _, d := range p.GetDestinations() {
			dests = append(dests, d.GetCluster()+":"+d.GetNamespace())
		}
		for _, gk := range p.GetClusterResourceWhitelist() {
			gks = append(gks, strings.TrimPrefix(gk.GetGroup()+"/"+gk.GetKind(), "/"))
		}
		rows = append(rows, []string{p.GetName(), orDash(strings.Join(p.GetSourceRepos(), ",")), orDash(strings.Join(dests, ",")), orDash(strings.Join(gks, ","))})
	}
	return table(cmd.OutOrStdout(), rows)
}

func newProjectGetCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "get NAME", Short: "Show a project", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.prj.GetProject(c.ctx(cmd.Context()), &pb.GetProjectRequest{Name: args[0]})
				if err != nil {
					return rpcErr(err)
				}
				if output == "json" {
					return writeJSON(cmd.OutOrStdout(), r.GetProject())
				}
				return printProjects(cmd, output, []*pb.Project{r.GetProject()})
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|wide|json|yaml")
	return cmd
}

func newProjectDeleteCmd(hf *hubFlags) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "delete NAME", Short: "Delete a project no application uses", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				if _, err := c.prj.DeleteProject(c.ctx(cmd.Context()), &pb.DeleteProjectRequest{Name: args[0], Force: force}); err != nil {
					return rpcErr(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "project %s deleted\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete a project declared in Git anyway")
	return cmd
}
