package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/flotilla-gitops/flotilla/internal/manifest"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newAppSetCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "appset", Aliases: []string{"appsets", "applicationset"},
		Short: "Show and delete ApplicationSets (flotilla apply -f creates and changes them)"}
	cmd.AddCommand(newAppSetListCmd(hf), newAppSetGetCmd(hf), newAppSetDeleteCmd(hf))
	return cmd
}

// appSetView is the JSON shape of `appset get/list -o json`.
type appSetView struct {
	Name         string   `json:"name"`
	Applications []string `json:"applications"`
	Error        string   `json:"error,omitempty"`
	DeclaredIn   string   `json:"declaredIn,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

func viewAppSet(s *pb.ApplicationSet) appSetView {
	return appSetView{Name: s.GetName(), Applications: append([]string{}, s.GetApplications()...), Error: s.GetError(),
		DeclaredIn: declaredIn(s.GetManagedBy()), Warnings: s.GetWarnings()}
}

func newAppSetListCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "list", Short: "List ApplicationSets and what they generate", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.sets.ListApplicationSets(c.ctx(cmd.Context()), &pb.ListApplicationSetsRequest{})
				if err != nil {
					return rpcErr(err)
				}
				views := make([]appSetView, 0, len(r.GetApplicationSets()))
				rows := [][]string{{"NAME", "APPLICATIONS", "ERROR"}}
				for _, s := range r.GetApplicationSets() {
					v := viewAppSet(s)
					views = append(views, v)
					rows = append(rows, []string{v.Name, orDash(strings.Join(v.Applications, ",")), orDash(v.Error)})
				}
				if output == "json" {
					return writeJSON(cmd.OutOrStdout(), views)
				}
				return table(cmd.OutOrStdout(), rows)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table|json")
	return cmd
}

func newAppSetGetCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "get NAME", Short: "Show an ApplicationSet (-o yaml: its declaration)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.sets.GetApplicationSet(c.ctx(cmd.Context()), &pb.GetApplicationSetRequest{Name: args[0]})
				if err != nil {
					return rpcErr(err)
				}
				if output == "yaml" {
					return writeDocs(cmd.OutOrStdout(), manifest.ApplicationSetDocument(r.GetApplicationSet()))
				}
				return writeJSON(cmd.OutOrStdout(), viewAppSet(r.GetApplicationSet()))
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "json", "output format: json|yaml")
	return cmd
}

func newAppSetDeleteCmd(hf *hubFlags) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use: "delete NAME", Short: "Delete an ApplicationSet and the applications it generated", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				_, err := c.sets.DeleteApplicationSet(c.ctx(cmd.Context()), &pb.DeleteApplicationSetRequest{Name: args[0], Force: force})
				if err != nil {
					return rpcErr(err)
				}
				cmd.Printf("applicationset %s deleted\n", args[0])
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete a set declared in Git anyway")
	return cmd
}
