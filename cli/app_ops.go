package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/internal/manifest"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	"github.com/flotilla-gitops/flotilla/pkg/diff"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func newAppGetCmd(hf *hubFlags) *cobra.Command {
	var output string
	var refresh, hardRefresh bool
	cmd := &cobra.Command{
		Use: "get NAME", Short: "Show an application's targets and resources", Args: cobra.ExactArgs(1),
		Example: "  flotilla app get guestbook -o json | jq '.targets[] | {cluster, sync, health}'",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.apps.GetApplication(c.ctx(cmd.Context()), &pb.GetApplicationRequest{Name: args[0], Refresh: refresh, HardRefresh: hardRefresh})
				if err != nil {
					return rpcErr(err)
				}
				v := viewApp(r)
				switch output {
				case "json":
					return writeJSON(cmd.OutOrStdout(), v)
				case "yaml": // the declaration, as `flotilla apply -f` takes it back
					return writeDocs(cmd.OutOrStdout(), manifest.ApplicationDocument(r.GetApplication()))
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Name:     %s\nRepo:     %s\nPath:     %s\n", v.Name, v.Repo, orDash(v.Path))
				printDeclared(w, r.GetApplication())
				printConditions(w, v.Conditions, output == "wide")
				rows := [][]string{{"CLUSTER", "REVISION", "SYNC", "HEALTH", "OPERATION"}}
				for _, t := range v.Targets {
					rows = append(rows, []string{t.Cluster, shortRev(t.Revision), t.Sync, t.Health, opText(t, output == "wide")})
				}
				if err := table(w, rows); err != nil {
					return err
				}
				if rows := waitingRows(v, output == "wide"); len(rows) > 1 {
					fmt.Fprintln(w)
					if err := table(w, rows); err != nil {
						return err
					}
				}
				rows = [][]string{{"CLUSTER", "KIND", "NAMESPACE", "NAME", "SYNC", "HEALTH", "MESSAGE"}}
				for _, t := range v.Targets {
					for _, rs := range t.Resources {
						rows = append(rows, []string{t.Cluster, rs.Kind, orDash(rs.Namespace), rs.Name, rs.Sync, rs.Health, truncate(rs.Message, output == "wide")})
					}
				}
				if len(rows) > 1 {
					fmt.Fprintln(w)
					return table(w, rows)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table|wide|json|yaml")
	cmd.Flags().BoolVar(&refresh, "refresh", false, "fetch the repository and re-plan before showing")
	cmd.Flags().BoolVar(&hardRefresh, "hard-refresh", false, "as --refresh, and render again even when the commit did not change (renders kept from earlier are ignored)")
	return cmd
}

func newAppDeleteCmd(hf *hubFlags) *cobra.Command {
	var cascade, force bool
	cmd := &cobra.Command{
		Use: "delete NAME", Short: "Delete an application (and, with --cascade, its objects)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withClient(hf, func(c *client) error {
				if _, err := c.apps.DeleteApplication(c.ctx(cmd.Context()), &pb.DeleteApplicationRequest{Name: args[0], Cascade: cascade, Force: force}); err != nil {
					return rpcErr(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "application %s deleted\n", args[0])
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&cascade, "cascade", true, "delete the application's objects from its clusters")
	cmd.Flags().BoolVar(&force, "force", false, "delete an application declared in Git anyway (Git declares it again at its next change)")
	return cmd
}

// waitOpts say what `wait` (and `sync --watch`) wait for.
type waitOpts struct {
	sync, health bool
	operation    bool // no target's operation is running
	timeout      time.Duration
	watch        bool // print progress lines
}

func newAppWaitCmd(hf *hubFlags) *cobra.Command {
	var w waitOpts
	cmd := &cobra.Command{
		Use: "wait NAME", Short: "Wait until every target is Synced and/or Healthy", Args: cobra.ExactArgs(1),
		Long: `Wait exits 0 once every target of the application is Synced (--sync) and
Healthy (--health); with neither flag, both. It exits 1 with the reason when
a sync fails or the timeout passes.

A target OutOfSync only because of objects requiring pruning (no longer in
Git but kept: Prune=false, Prune=confirm awaiting confirmation, pruning off)
counts as Synced for the wait, which says so on stderr: nothing but
pruning them (app sync --prune [--confirm-prune], or deleting them) would
make it Synced, and Argo CD's wait would hang there.

With --operation (Argo CD's), wait until no target's operation is running:
each target's last sync Succeeded or Failed, or it has none. A failed
operation ends the wait with exit 0 and is named on stderr; add --sync or
--health to wait for those too (a failed sync then exits 1).`,
		Example: "  flotilla app wait guestbook --health --timeout 2m",
		RunE: func(cmd *cobra.Command, args []string) error {
			if !w.sync && !w.health && !w.operation {
				w.sync, w.health = true, true
			}
			return withClient(hf, func(c *client) error { return waitApp(cmd, c, args[0], w) })
		},
	}
	cmd.Flags().BoolVar(&w.sync, "sync", false, "wait for Synced")
	cmd.Flags().BoolVar(&w.health, "health", false, "wait for Healthy")
	cmd.Flags().BoolVar(&w.operation, "operation", false, "wait until no operation is running (Succeeded or Failed)")
	cmd.Flags().DurationVar(&w.timeout, "timeout", 5*time.Minute, "give up after this long")
	cmd.Flags().BoolVar(&w.watch, "watch", false, "print progress while waiting")
	return cmd
}

// waitApp follows the application's events until the wanted state, a
// failure or the timeout.
func waitApp(cmd *cobra.Command, c *client, name string, w waitOpts) error {
	ctx, cancel := context.WithTimeout(cmd.Context(), w.timeout)
	defer cancel()
	stream, err := c.apps.WatchApplications(c.ctx(ctx), &pb.WatchApplicationsRequest{Name: name})
	if err != nil {
		return rpcErr(err)
	}
	p := newProgress(cmd.OutOrStdout())
	last := "no targets yet"
	// The first look refreshes: a commit pushed just before is planned (and
	// its sync started) before the targets are judged.
	refresh := true
	for {
		r, err := c.apps.GetApplication(c.ctx(ctx), &pb.GetApplicationRequest{Name: name, Refresh: refresh})
		refresh = false
		if err != nil {
			if timedOut(ctx, err) {
				return fmt.Errorf("%s: timed out after %s: %s", name, w.timeout, last)
			}
			return rpcErr(err)
		}
		v := viewApp(r)
		if w.watch {
			p.show(v)
		}
		done, reason, failed := judge(v, w)
		if done {
			if reason != "" { // done, with a caveat
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", name, reason)
			}
			if w.watch {
				p.summary(v)
			}
			return nil
		}
		if failed {
			return fmt.Errorf("%s: %s", name, reason)
		}
		last = reason
		if _, err := stream.Recv(); err != nil {
			if timedOut(ctx, err) {
				return fmt.Errorf("%s: timed out after %s: %s", name, w.timeout, last)
			}
			return rpcErr(err)
		}
	}
}

// timedOut says whether err ended a call because the wait's deadline passed.
// The hub learns the deadline too and may cancel the stream a moment before
// the local timer fires, so a DeadlineExceeded status counts as well.
func timedOut(ctx context.Context, err error) bool {
	return ctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded
}

// evaluate says whether the wait is over, why not (or, when over, what it
// let pass), and whether it failed.
func evaluate(v appView, w waitOpts) (done bool, reason string, failed bool) {
	if len(v.Conditions) > 0 {
		return false, conditionsText(v.Conditions), true
	}
	if len(v.Targets) == 0 {
		return false, "the application has no targets (no cluster matches its destination)", false
	}
	var pending, prunable []string
	for _, t := range v.Targets {
		if t.Operation != nil && t.Operation.Phase == "Failed" && t.Sync != "Synced" {
			return false, fmt.Sprintf("sync failed on %s: %s", t.Cluster, t.Operation.Message), true
		}
		kept := requiringPruning(t)
		switch {
		case t.Error != "":
			pending = append(pending, t.Cluster+": "+t.Error)
		case w.sync && t.Sync != "Synced" && len(kept) == 0:
			pending = append(pending, t.Cluster+" is "+t.Sync)
		case w.sync && t.Operation != nil && t.Operation.Phase == "Running":
			pending = append(pending, t.Cluster+" is syncing")
		case w.health && t.Health != "Healthy":
			pending = append(pending, t.Cluster+" is "+t.Health+unhealthy(t))
		}
		for _, k := range kept {
			prunable = append(prunable, t.Cluster+": "+k)
		}
	}
	if len(pending) > 0 {
		return false, strings.Join(pending, "; "), false
	}
	if w.sync && len(prunable) > 0 {
		return true, "OutOfSync only by objects requiring pruning, taken as Synced: " + strings.Join(prunable, "; "), false
	}
	return true, "", false
}

// requiringPruning names the objects requiring pruning of a target
// OutOfSync only because of them; nil when anything else is OutOfSync.
func requiringPruning(t targetView) []string {
	if t.Sync != "OutOfSync" {
		return nil
	}
	var names []string
	for _, r := range t.Resources {
		switch {
		case r.Sync != "OutOfSync":
		case !r.RequiresPruning:
			return nil
		default:
			names = append(names, fmt.Sprintf("%s %s (%s)", r.Kind, r.Name, r.Message))
		}
	}
	return names
}

func unhealthy(t targetView) string {
	for _, r := range t.Resources {
		if r.Health != "Healthy" && r.Health != "Unknown" && r.Message != "" {
			return fmt.Sprintf(" (%s %s: %s)", r.Kind, r.Name, r.Message)
		}
	}
	return ""
}

func newAppDiffCmd(hf *hubFlags) *cobra.Command {
	var clusters []string
	var color string
	cmd := &cobra.Command{
		Use: "diff NAME", Short: "Show drift between Git and each cluster", Args: cobra.ExactArgs(1),
		Long: "Diff prints a unified diff per object and cluster. Exit code: 0 in sync, 1 differences, 2 error.",
		RunE: func(cmd *cobra.Command, args []string) error {
			err := withClient(hf, func(c *client) error {
				r, err := c.apps.DiffApplication(c.ctx(cmd.Context()), &pb.DiffApplicationRequest{Name: args[0], Clusters: clusters})
				if err != nil {
					return rpcErr(err)
				}
				paint := color == "always" || (color == "auto" && isTerminal(cmd.OutOrStdout()))
				found := false
				for _, d := range r.GetDiffs() {
					if d.GetSync() != pb.SyncStatus_SYNC_STATUS_OUT_OF_SYNC {
						continue
					}
					found = true
					ref := d.GetRef()
					fmt.Fprintf(cmd.OutOrStdout(), "===== %s: %s %s\n", d.GetCluster(), ref.GetKind(), nsName(ref.GetNamespace(), ref.GetName()))
					text := d.GetDiff()
					if paint {
						text = diff.Colorize(text)
					}
					fmt.Fprint(cmd.OutOrStdout(), text)
				}
				if found {
					return errDiffFound
				}
				return nil
			})
			if err != nil && !errors.Is(err, errDiffFound) {
				return &exitError{code: ExitUsage, err: err}
			}
			return err
		},
	}
	cmd.Flags().StringArrayVar(&clusters, "cluster", nil, "only these clusters (repeatable)")
	cmd.Flags().StringVar(&color, "color", "auto", "auto|always|never")
	return cmd
}

func newAppHistoryCmd(hf *hubFlags) *cobra.Command {
	var cluster, output string
	cmd := &cobra.Command{
		Use: "history NAME", Short: "List an application's syncs", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.apps.ListHistory(c.ctx(cmd.Context()), &pb.ListHistoryRequest{Name: args[0], Cluster: cluster})
				if err != nil {
					return rpcErr(err)
				}
				views := make([]historyView, 0, len(r.GetEntries()))
				for _, h := range r.GetEntries() {
					views = append(views, viewHistory(h))
				}
				switch output {
				case "json":
					return writeJSON(cmd.OutOrStdout(), views)
				case "yaml":
					return writeYAML(cmd.OutOrStdout(), views)
				}
				rows := [][]string{{"ID", "CLUSTER", "REVISION", "PLAN", "RESULT", "STARTED", "BY", "MESSAGE"}}
				for _, h := range r.GetEntries() {
					rows = append(rows, []string{strconv.FormatInt(h.GetId(), 10), h.GetCluster(), shortRev(h.GetRevision()), shortRev(h.GetPlanHash()),
						orDash(phaseName(h.GetResult())), h.GetStartedAt().AsTime().Format(time.RFC3339), h.GetInitiatedBy(), truncate(h.GetMessage(), false)})
				}
				return table(cmd.OutOrStdout(), rows)
			})
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "", "only this cluster")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|json|yaml")
	return cmd
}

// historyView is the stable JSON shape of `app history -o json`.
type historyView struct {
	ID          int64  `json:"id"`
	Cluster     string `json:"cluster"`
	Revision    string `json:"revision"`
	PlanHash    string `json:"planHash"`
	Result      string `json:"result"` // Running, Succeeded, Failed
	Message     string `json:"message"`
	StartedAt   string `json:"startedAt,omitempty"`
	FinishedAt  string `json:"finishedAt,omitempty"`
	InitiatedBy string `json:"initiatedBy"`
	// SourceDigest: a chart's archive digest at that revision.
	SourceDigest string `json:"sourceDigest,omitempty"`
}

func viewHistory(h *pb.HistoryEntry) historyView {
	v := historyView{ID: h.GetId(), Cluster: h.GetCluster(), Revision: h.GetRevision(), PlanHash: h.GetPlanHash(),
		Result: phaseName(h.GetResult()), Message: h.GetMessage(), InitiatedBy: h.GetInitiatedBy(), SourceDigest: h.GetSourceDigest()}
	if h.GetStartedAt() != nil {
		v.StartedAt = h.GetStartedAt().AsTime().Format(time.RFC3339)
	}
	if h.GetFinishedAt() != nil {
		v.FinishedAt = h.GetFinishedAt().AsTime().Format(time.RFC3339)
	}
	return v
}

func newAppRollbackCmd(hf *hubFlags) *cobra.Command {
	var clusters []string
	cmd := &cobra.Command{
		Use: "rollback NAME ID", Short: "Re-apply the plan of a history entry (automated sync must be off)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("history ID %q: %w", args[1], err)
			}
			return withClient(hf, func(c *client) error {
				if _, err := c.apps.RollbackApplication(c.ctx(cmd.Context()), &pb.RollbackApplicationRequest{Name: args[0], HistoryId: id, Clusters: clusters}); err != nil {
					return rpcErr(err)
				}
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "application %s: rolling back to #%d\n", args[0], id)
				return err
			})
		},
	}
	cmd.Flags().StringArrayVar(&clusters, "cluster", nil, "only these clusters (repeatable)")
	return cmd
}

type objectDiffView struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	Diff       string `json:"diff"`
}

func planDiffView(ds []*pb.ObjectDiff) []objectDiffView {
	out := []objectDiffView{}
	for _, d := range ds {
		r := d.GetRef()
		out = append(out, objectDiffView{APIVersion: r.GetApiVersion(), Kind: r.GetKind(), Namespace: r.GetNamespace(), Name: r.GetName(), Diff: d.GetDiff()})
	}
	return out
}

func newAppPlanCmd(hf *hubFlags) *cobra.Command {
	var clusters []string
	var revision, output string
	cmd := &cobra.Command{
		Use: "plan NAME", Short: "Show the plan each cluster would run, without syncing", Args: cobra.ExactArgs(1),
		Long: `Plan prints, per cluster, the ordered plan a sync would run (phases, waves,
hooks, prunes), its hash (for app approve), and what it would change: the
cluster's spoke compares each object with the live one and answers with a
unified diff per object that would be created, changed or pruned. When the
spoke is not connected, the diff is from the plan the cluster runs now, and
the output says so.`,
		Example: `  flotilla app plan shop
  flotilla app plan shop --cluster edge-1 --revision v1.4.0 -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(output, "table", "wide", "json", "yaml"); err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				if len(clusters) == 0 {
					r, err := c.apps.GetApplication(c.ctx(cmd.Context()), &pb.GetApplicationRequest{Name: args[0]})
					if err != nil {
						return rpcErr(err)
					}
					for _, t := range r.GetTargets() {
						clusters = append(clusters, t.GetCluster())
					}
				}
				for _, cl := range clusters {
					r, err := c.apps.GetPlan(c.ctx(cmd.Context()), &pb.GetPlanRequest{Name: args[0], Cluster: cl, Revision: revision})
					if err != nil {
						return rpcErr(err)
					}
					p, err := wire.PlanFromProto(r.GetPlan())
					if err != nil {
						return err
					}
					p.Hash = r.GetPlan().GetHash()
					if output == "json" || output == "yaml" {
						v := map[string]any{"cluster": cl, "revision": r.GetPlan().GetRevision(), "plan": p, "currentPlanHash": r.GetCurrentPlanHash(),
							"diffs": planDiffView(r.GetDiffs()), "live": r.GetLive(), "liveError": r.GetLiveError()}
						if output == "json" {
							err = writeJSON(cmd.OutOrStdout(), v)
						} else {
							err = writeYAML(cmd.OutOrStdout(), v)
						}
						if err != nil {
							return err
						}
						continue
					}
					fmt.Fprintf(cmd.OutOrStdout(), "===== %s (revision %s)\n", cl, shortRev(r.GetPlan().GetRevision()))
					if err := printPlan(cmd, p, output); err != nil {
						return err
					}
					if r.GetLive() {
						fmt.Fprintf(cmd.OutOrStdout(), "%d object(s) would change in the cluster\n", len(r.GetDiffs()))
					} else {
						fmt.Fprintf(cmd.OutOrStdout(), "%d object(s) differ from the plan the cluster runs now (live state unavailable: %s)\n", len(r.GetDiffs()), r.GetLiveError())
					}
					paint := isTerminal(cmd.OutOrStdout())
					for _, d := range r.GetDiffs() {
						text := d.GetDiff()
						if paint {
							text = diff.Colorize(text)
						}
						fmt.Fprintf(cmd.OutOrStdout(), "--- %s %s\n%s", d.GetRef().GetKind(), nsName(d.GetRef().GetNamespace(), d.GetRef().GetName()), text)
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringArrayVar(&clusters, "cluster", nil, "only these clusters (default: every target)")
	cmd.Flags().StringVar(&revision, "revision", "", "plan this revision instead of the application's")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table|wide|json|yaml")
	return cmd
}
