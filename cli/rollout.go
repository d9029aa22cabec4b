package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newRolloutCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "rollout", Short: "Follow and steer an application's progressive rollout"}
	cmd.AddCommand(newRolloutStatusCmd(hf))
	for _, v := range []struct{ use, short string }{
		{"pause", "Pause a progressing rollout"},
		{"resume", "Resume a paused rollout, or retry a halted step"},
		{"approve", "Let a rollout waiting after a pause step go on"},
		{"abort", "Stop a rollout; targets keep what they run"},
	} {
		cmd.AddCommand(newRolloutActionCmd(hf, v.use, v.short))
	}
	return cmd
}

func newRolloutActionCmd(hf *hubFlags, verb, short string) *cobra.Command {
	return &cobra.Command{
		Use: verb + " NAME", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				rs := pb.NewRolloutServiceClient(c.conn)
				ctx := c.ctx(cmd.Context())
				var r *pb.Rollout
				var err error
				switch verb {
				case "pause":
					var x *pb.PauseRolloutResponse
					x, err = rs.PauseRollout(ctx, &pb.PauseRolloutRequest{Name: args[0]})
					r = x.GetRollout()
				case "resume":
					var x *pb.ResumeRolloutResponse
					x, err = rs.ResumeRollout(ctx, &pb.ResumeRolloutRequest{Name: args[0]})
					r = x.GetRollout()
				case "approve":
					var x *pb.ApproveRolloutResponse
					x, err = rs.ApproveRollout(ctx, &pb.ApproveRolloutRequest{Name: args[0]})
					r = x.GetRollout()
				case "abort":
					var x *pb.AbortRolloutResponse
					x, err = rs.AbortRollout(ctx, &pb.AbortRolloutRequest{Name: args[0]})
					r = x.GetRollout()
				}
				if err != nil {
					return rpcErr(err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "rollout of %s: %s (%s)\n", args[0], rolloutPhase(r), r.GetMessage())
				return err
			})
		},
	}
}

// settled reports whether a rollout will not move without a user: done,
// aborted, superseded, or halted with no target still reverting.
func settled(r *pb.Rollout) bool {
	switch r.GetPhase() {
	case pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED, pb.RolloutPhase_ROLLOUT_PHASE_ABORTED, pb.RolloutPhase_ROLLOUT_PHASE_SUPERSEDED:
		return true
	case pb.RolloutPhase_ROLLOUT_PHASE_HALTED:
		for _, s := range r.GetSteps() {
			for _, t := range s.GetTargets() {
				if t.GetState() == "Reverting" {
					return false
				}
			}
		}
		return true
	}
	return false
}

func rolloutPhase(r *pb.Rollout) string { return enumName(r.GetPhase().String(), "ROLLOUT_PHASE_") }

func newRolloutStatusCmd(hf *hubFlags) *cobra.Command {
	var watch bool
	var output string
	cmd := &cobra.Command{
		Use: "status NAME", Short: "Show a rollout per step and cluster", Args: cobra.ExactArgs(1),
		Example: "  flotilla rollout status web --watch",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "json"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				rs := pb.NewRolloutServiceClient(c.conn)
				last := ""
				for {
					r, err := rs.GetRollout(c.ctx(cmd.Context()), &pb.GetRolloutRequest{Name: args[0]})
					if err != nil {
						return rpcErr(err)
					}
					if output == "json" {
						return writeJSON(cmd.OutOrStdout(), r.GetRollout())
					}
					text := renderRollout(r.GetRollout())
					if text != last {
						if watch && last != "" {
							fmt.Fprintln(cmd.OutOrStdout(), "---")
						}
						fmt.Fprint(cmd.OutOrStdout(), text)
						last = text
					}
					if !watch || settled(r.GetRollout()) {
						return nil
					}
					select {
					case <-cmd.Context().Done():
						return cmd.Context().Err()
					case <-time.After(time.Second):
					}
				}
			})
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow until the rollout completes, halts or is aborted")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json")
	return cmd
}

func renderRollout(r *pb.Rollout) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Rollout of %s to revision %s: %s\n%s\n\n", r.GetApplication(), shortRev(r.GetRevision()), rolloutPhase(r), r.GetMessage())
	rows := [][]string{{"STEP", "STATE", "CLUSTER", "TARGET", "MESSAGE"}}
	for i, s := range r.GetSteps() {
		marker := " "
		if int32(i) == r.GetStep() {
			marker = ">"
		}
		for j, t := range s.GetTargets() {
			name, state := "", ""
			if j == 0 {
				name, state = marker+" "+s.GetName(), s.GetState()
			}
			rows = append(rows, []string{name, state, t.GetCluster(), t.GetState(), truncate(t.GetMessage(), false)})
		}
	}
	writeTable(&b, rows)
	return b.String()
}

func writeTable(w io.Writer, rows [][]string) {
	if err := table(w, rows); err != nil {
		fmt.Fprintln(w, err)
	}
}

func newAppApproveCmd(hf *hubFlags) *cobra.Command {
	var plans []string
	var all bool
	cmd := &cobra.Command{
		Use: "approve NAME --plan HASH", Short: "Approve pending plans (syncPolicy.approval: required)", Args: cobra.ExactArgs(1),
		Example: "  flotilla app plan web          # shows each cluster's plan hash\n  flotilla app approve web --plan 3f2a...",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !all && len(plans) == 0 {
				return fmt.Errorf("name the plans with --plan HASH (repeatable), or --all")
			}
			return withClient(hf, func(c *client) error {
				ctx, cancel := context.WithTimeout(c.ctx(cmd.Context()), time.Minute)
				defer cancel()
				r, err := c.apps.ApproveApplication(ctx, &pb.ApproveApplicationRequest{Name: args[0], PlanHashes: plans, All: all})
				if err != nil {
					return rpcErr(err)
				}
				for _, t := range r.GetTargets() {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: approved\n", t.GetCluster())
				}
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&plans, "plan", nil, "plan hash to approve (repeatable)")
	cmd.Flags().BoolVar(&all, "all", false, "approve every pending plan of the application")
	return cmd
}
