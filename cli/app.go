package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newAppCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "app", Aliases: []string{"apps", "application"}, Short: "Manage applications on the hub"}
	cmd.AddCommand(newAppCreateCmd(hf, false), newAppCreateCmd(hf, true), newAppListCmd(hf), newAppGetCmd(hf), newAppDeleteCmd(hf),
		newAppSyncCmd(hf), newAppWaitCmd(hf), newAppDiffCmd(hf), newAppHistoryCmd(hf), newAppRollbackCmd(hf), newAppPlanCmd(hf), newAppApproveCmd(hf),
		newAppTerminateOpCmd(hf))
	return cmd
}

func newAppCreateCmd(hf *hubFlags, update bool) *cobra.Command {
	var f appFlags
	var upsert, force bool
	var output string
	use, short := "create NAME --repo URL", "Create an application"
	example := `  flotilla app create guestbook --repo https://git.example.com/apps.git --path guestbook \
    --dest-selector env=prod --dest-namespace guestbook --auto-sync --prune --self-heal \
    --sync-option CreateNamespace=true`
	if update {
		use, short, example = "set NAME", "Change an application's settings", "  flotilla app set guestbook --revision v2.0 --self-heal=false"
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				a := &pb.Application{Name: args[0]}
				if update {
					got, err := c.apps.GetApplication(c.ctx(cmd.Context()), &pb.GetApplicationRequest{Name: args[0]})
					if err != nil {
						return rpcErr(err)
					}
					a = got.GetApplication()
				}
				if err := f.apply(cmd, a); err != nil {
					return err
				}
				var err error
				if update {
					_, err = c.apps.UpdateApplication(c.ctx(cmd.Context()), &pb.UpdateApplicationRequest{Application: a, Force: force})
				} else {
					_, err = c.apps.CreateApplication(c.ctx(cmd.Context()), &pb.CreateApplicationRequest{Application: a, Upsert: upsert, Force: force})
				}
				if err != nil {
					return rpcErr(err)
				}
				return printObject(cmd, output, a, fmt.Sprintf("application %s %s", a.GetName(), map[bool]string{true: "updated", false: "created"}[update]))
			})
		},
	}
	f.register(cmd)
	if !update {
		cmd.Flags().BoolVar(&upsert, "upsert", false, "replace the application if it exists")
	}
	cmd.Flags().BoolVar(&force, "force", false, "change an application declared in Git anyway (Git puts it back at its next change)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table|json|yaml")
	return cmd
}

// printObject prints v as JSON/YAML, or the message in table mode.
func printObject(cmd *cobra.Command, output string, v any, msg string) error {
	switch output {
	case "json":
		return writeJSON(cmd.OutOrStdout(), v)
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = cmd.OutOrStdout().Write(b)
		return err
	}
	_, err := fmt.Fprintln(cmd.OutOrStdout(), msg)
	return err
}

func newAppListCmd(hf *hubFlags) *cobra.Command {
	var output, project string
	var selector []string
	cmd := &cobra.Command{
		Use: "list", Short: "List applications and their targets", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			sel, err := parseKV(selector, "--selector")
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.apps.ListApplications(c.ctx(cmd.Context()), &pb.ListApplicationsRequest{Selector: sel, Project: project})
				if err != nil {
					return rpcErr(err)
				}
				views := make([]appView, 0, len(r.GetApplications()))
				for _, a := range r.GetApplications() {
					views = append(views, viewApp(a))
				}
				switch output {
				case "json":
					return writeJSON(cmd.OutOrStdout(), views)
				case "yaml":
					return writeYAML(cmd.OutOrStdout(), views)
				}
				rows := [][]string{{"NAME", "CLUSTER", "REVISION", "SYNC", "HEALTH", "OPERATION"}}
				for _, v := range views {
					if len(v.Targets) == 0 {
						rows = append(rows, []string{v.Name, "-", "-", "-", "-", "-"})
					}
					for _, t := range v.Targets {
						rows = append(rows, []string{v.Name, t.Cluster, shortRev(t.Revision), t.Sync, t.Health, opText(t, output == "wide")})
					}
				}
				return table(cmd.OutOrStdout(), rows)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table|wide|json|yaml")
	cmd.Flags().StringArrayVarP(&selector, "selector", "l", nil, "application label k=v (repeatable)")
	cmd.Flags().StringVar(&project, "project", "", "only this project's applications")
	return cmd
}

func shortRev(r string) string {
	if len(r) > 8 {
		return r[:8]
	}
	return orDash(r)
}

func opText(t targetView, wide bool) string {
	if t.Error != "" {
		return "Error: " + truncate(t.Error, wide)
	}
	if t.Operation == nil {
		return "-"
	}
	if t.Operation.Message == "" {
		return t.Operation.Phase
	}
	return t.Operation.Phase + ": " + truncate(t.Operation.Message, wide)
}

func truncate(s string, wide bool) string {
	if wide || len(s) <= 60 {
		return s
	}
	return s[:57] + "..."
}
