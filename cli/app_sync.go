package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// syncFlags are `app sync`'s overrides (Argo CD's argocd app sync flags).
type syncFlags struct {
	clusters, options, resources []string
	revision                     string
	prune, dryRun, confirmPrune  bool
}

func (f syncFlags) request(name string) (*pb.SyncApplicationRequest, error) {
	r := &pb.SyncApplicationRequest{Name: name, Clusters: f.clusters, Revision: f.revision, Prune: f.prune, DryRun: f.dryRun, ConfirmPrune: f.confirmPrune}
	for _, o := range f.options {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			return nil, fmt.Errorf("--sync-option %q: want NAME=VALUE (e.g. CreateNamespace=true)", o)
		}
		if r.Options == nil {
			r.Options = map[string]string{}
		}
		r.Options[k] = v
	}
	for _, res := range f.resources {
		sr, err := parseSyncResource(res)
		if err != nil {
			return nil, err
		}
		r.Resources = append(r.Resources, sr)
	}
	return r, nil
}

// parseSyncResource reads Argo CD's GROUP:KIND:NAME (GROUP empty for the
// core group; NAME may be NAMESPACE/NAME), or KIND/NAME.
func parseSyncResource(s string) (*pb.SyncResource, error) {
	parts := strings.Split(s, ":")
	var r pb.SyncResource
	switch len(parts) {
	case 3:
		r.Group, r.Kind, r.Name = parts[0], parts[1], parts[2]
	case 1:
		k, n, ok := strings.Cut(s, "/")
		if !ok {
			return nil, fmt.Errorf("--resource %q: want GROUP:KIND:NAME, GROUP:KIND:NAMESPACE/NAME or KIND/NAME", s)
		}
		r.Kind, r.Name = k, n
	default:
		return nil, fmt.Errorf("--resource %q: want GROUP:KIND:NAME, GROUP:KIND:NAMESPACE/NAME or KIND/NAME", s)
	}
	if ns, n, ok := strings.Cut(r.Name, "/"); ok {
		r.Namespace, r.Name = ns, n
	}
	if r.Kind == "" || r.Name == "" {
		return nil, fmt.Errorf("--resource %q: kind and name are required", s)
	}
	return &r, nil
}

func newAppSyncCmd(hf *hubFlags) *cobra.Command {
	var f syncFlags
	w := waitOpts{sync: true, health: true}
	cmd := &cobra.Command{
		Use: "sync NAME", Short: "Sync an application now", Args: cobra.ExactArgs(1),
		Example: `  flotilla app sync guestbook --watch
  flotilla app sync guestbook --cluster east --prune
  flotilla app sync guestbook --revision v1.2.0          # manual sync policy only
  flotilla app sync guestbook --resource apps:Deployment:web --resource :ConfigMap:prod/settings
  flotilla app sync guestbook --dry-run                   # what would change, nothing assigned
  flotilla app sync guestbook --confirm-prune             # run prunes waiting on Prune=confirm`,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(args[0])
			if err != nil {
				return err
			}
			return withClient(hf, func(c *client) error {
				r, err := c.apps.SyncApplication(c.ctx(cmd.Context()), req)
				if err != nil {
					return rpcErr(err)
				}
				if f.dryRun {
					return printDryRun(cmd, r.GetTargets())
				}
				for _, t := range r.GetTargets() {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: sync of %s started (plan %s)\n", t.GetCluster(), shortRev(t.GetRevision()), shortRev(t.GetOperation().GetPlanHash()))
				}
				if !w.watch {
					return nil
				}
				return waitApp(cmd, c, args[0], w)
			})
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.clusters, "cluster", nil, "only these clusters (repeatable)")
	fl.StringVar(&f.revision, "revision", "", "sync this revision (branch, tag or commit) instead of the application's; not with automated sync")
	fl.BoolVar(&f.prune, "prune", false, "prune objects no longer in Git for this sync")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show what the sync would change on each cluster; assign nothing")
	fl.StringArrayVar(&f.options, "sync-option", nil, "sync option for this sync only, NAME=VALUE (repeatable)")
	fl.StringArrayVar(&f.resources, "resource", nil, "sync only this resource, GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME (repeatable; no hooks run)")
	fl.BoolVar(&f.confirmPrune, "confirm-prune", false, "run the prunes of objects marked Prune=confirm")
	fl.BoolVar(&w.watch, "watch", false, "follow the sync until every target is Synced and Healthy")
	fl.DurationVar(&w.timeout, "timeout", 5*time.Minute, "with --watch: give up after this long")
	return cmd
}

func printDryRun(cmd *cobra.Command, ts []*pb.TargetStatus) error {
	out := cmd.OutOrStdout()
	for _, t := range ts {
		if t.GetError() != "" {
			fmt.Fprintf(out, "%s: %s\n", t.GetCluster(), t.GetError())
			continue
		}
		fmt.Fprintf(out, "%s: %s\n", t.GetCluster(), t.GetOperation().GetMessage())
		for _, r := range t.GetResources() {
			ref := r.GetRef()
			fmt.Fprintf(out, "===== %s %s/%s\n%s\n", ref.GetKind(), ref.GetNamespace(), ref.GetName(), r.GetDiff())
		}
	}
	return nil
}
