package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// Sync windows are edited as Argo CD's `argocd proj windows` does: read
// the project, change its list, write it back; the hub validates.
func newProjectWindowsCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "windows", Aliases: []string{"window"}, Short: "Manage a project's sync windows (when syncs may run)"}
	cmd.AddCommand(newWindowsAddCmd(hf), newWindowsListCmd(hf), newWindowsDeleteCmd(hf),
		newWindowsManualCmd(hf, "enable-manual-sync", true), newWindowsManualCmd(hf, "disable-manual-sync", false))
	return cmd
}

func newWindowsAddCmd(hf *hubFlags) *cobra.Command {
	w := &pb.SyncWindow{}
	cmd := &cobra.Command{
		Use: "add PROJECT", Short: "Add a sync window", Args: cobra.ExactArgs(1),
		Example: `  # no automated sync on weeknights, manual syncs still allowed
  flotilla project windows add team-a --kind deny --schedule "0 22 * * 1-5" --duration 8h \
    --applications '*' --manual-sync
  # production syncs only in business hours (Paris time)
  flotilla project windows add team-a --kind allow --schedule "0 9 * * 1-5" --duration 8h \
    --clusters 'prod-*' --time-zone Europe/Paris`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return editProject(cmd, hf, args[0], func(p *pb.Project) (string, error) {
				p.SyncWindows = append(p.SyncWindows, w)
				return fmt.Sprintf("sync window %d added to project %s", len(p.SyncWindows)-1, p.GetName()), nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&w.Kind, "kind", "allow", "allow or deny")
	fl.StringVar(&w.Schedule, "schedule", "", "cron schedule of the window's start (minute hour day-of-month month day-of-week)")
	fl.StringVar(&w.Duration, "duration", "", "how long the window lasts (e.g. 1h, 30m)")
	fl.StringSliceVar(&w.Applications, "applications", nil, "application name globs the window applies to")
	fl.StringSliceVar(&w.Namespaces, "namespaces", nil, "destination namespace globs the window applies to")
	fl.StringSliceVar(&w.Clusters, "clusters", nil, "cluster name globs the window applies to")
	fl.BoolVar(&w.ManualSync, "manual-sync", false, "let manual syncs through while the window holds automated ones")
	fl.StringVar(&w.TimeZone, "time-zone", "", "IANA time zone of the schedule (default UTC)")
	return cmd
}

func newWindowsListCmd(hf *hubFlags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use: "list PROJECT", Short: "List a project's sync windows", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.prj.GetProject(c.ctx(cmd.Context()), &pb.GetProjectRequest{Name: args[0]})
				if err != nil {
					return rpcErr(err)
				}
				return printWindows(cmd, output, r.GetProject().GetSyncWindows())
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json|yaml")
	return cmd
}

func printWindows(cmd *cobra.Command, output string, ws []*pb.SyncWindow) error {
	switch output {
	case "json":
		return writeJSON(cmd.OutOrStdout(), ws)
	case "yaml":
		return writeYAML(cmd.OutOrStdout(), ws)
	}
	rows := [][]string{{"ID", "KIND", "SCHEDULE", "DURATION", "TIME ZONE", "APPLICATIONS", "NAMESPACES", "CLUSTERS", "MANUAL SYNC"}}
	for i, w := range ws {
		rows = append(rows, []string{strconv.Itoa(i), w.GetKind(), w.GetSchedule(), w.GetDuration(), orDash(w.GetTimeZone()),
			orDash(strings.Join(w.GetApplications(), ",")), orDash(strings.Join(w.GetNamespaces(), ",")),
			orDash(strings.Join(w.GetClusters(), ",")), strconv.FormatBool(w.GetManualSync())})
	}
	return table(cmd.OutOrStdout(), rows)
}

func newWindowsDeleteCmd(hf *hubFlags) *cobra.Command {
	return &cobra.Command{
		Use: "delete PROJECT ID", Short: "Delete a sync window (ID from `windows list`)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editWindow(cmd, hf, args, func(p *pb.Project, i int) string {
				p.SyncWindows = append(p.SyncWindows[:i], p.SyncWindows[i+1:]...)
				return fmt.Sprintf("sync window %d deleted from project %s", i, p.GetName())
			})
		},
	}
}

func newWindowsManualCmd(hf *hubFlags, use string, on bool) *cobra.Command {
	return &cobra.Command{
		Use: use + " PROJECT ID", Short: fmt.Sprintf("Set manualSync=%v on a sync window", on), Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return editWindow(cmd, hf, args, func(p *pb.Project, i int) string {
				p.SyncWindows[i].ManualSync = on
				return fmt.Sprintf("sync window %d of project %s: manualSync=%v", i, p.GetName(), on)
			})
		},
	}
}

// editWindow runs edit on window args[1] of project args[0].
func editWindow(cmd *cobra.Command, hf *hubFlags, args []string, edit func(*pb.Project, int) string) error {
	return editProject(cmd, hf, args[0], func(p *pb.Project) (string, error) {
		i, err := strconv.Atoi(args[1])
		if err != nil || i < 0 || i >= len(p.GetSyncWindows()) {
			return "", fmt.Errorf("project %s has no sync window %q (it has %d; see `flotilla project windows list %s`)", p.GetName(), args[1], len(p.GetSyncWindows()), p.GetName())
		}
		return edit(p, i), nil
	})
}

// editProject reads a project, edits it and writes it back.
func editProject(cmd *cobra.Command, hf *hubFlags, name string, edit func(*pb.Project) (string, error)) error {
	return withClient(hf, func(c *client) error {
		r, err := c.prj.GetProject(c.ctx(cmd.Context()), &pb.GetProjectRequest{Name: name})
		if err != nil {
			return rpcErr(err)
		}
		p := r.GetProject()
		msg, err := edit(p)
		if err != nil {
			return err
		}
		if _, err := c.prj.CreateProject(c.ctx(cmd.Context()), &pb.CreateProjectRequest{Project: p, Upsert: true}); err != nil {
			return rpcErr(err)
		}
		_, err = fmt.Fprintln(cmd.OutOrStdout(), msg)
		return err
	})
}
