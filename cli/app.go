package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// appFlags build an Application from `app create` / `app set` flags.
type appFlags struct {
	repo, revision, path, kind, project, destNamespace, ignoreFile, release, values string
	destClusters, destSelector, syncOptions, valueFiles, helmSet, dependsOn, labels []string
	rolloutFile                                                                     string
	autoSync, prune, selfHeal, recurse, requireApproval                             bool
	retryLimit                                                                      int32
	kustomize                                                                       kustomizeFlags
}

func (f *appFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.repo, "repo", "", "Git repository URL")
	fl.StringVar(&f.revision, "revision", "", "branch, tag or commit (default: the default branch)")
	fl.StringVar(&f.path, "path", "", "path in the repository; may use {{cluster.name}} and {{cluster.labels.KEY}}")
	fl.StringVar(&f.kind, "kind", "", "source kind: Directory, Kustomize or Helm (default: detect)")
	fl.StringVar(&f.project, "project", "", "project (default: default, which allows everything)")
	fl.StringArrayVar(&f.destClusters, "dest-cluster", nil, "target cluster by name (repeatable)")
	fl.StringArrayVar(&f.destSelector, "dest-selector", nil, "target clusters by label k=v (repeatable; all must match)")
	fl.StringVar(&f.destNamespace, "dest-namespace", "", "namespace for objects that name none")
	fl.BoolVar(&f.autoSync, "auto-sync", false, "sync every new revision automatically")
	fl.BoolVar(&f.prune, "prune", false, "delete objects removed from Git")
	fl.BoolVar(&f.selfHeal, "self-heal", false, "revert changes made in the cluster")
	fl.StringArrayVar(&f.syncOptions, "sync-option", nil, "sync option K=V, e.g. CreateNamespace=true (repeatable)")
	fl.StringArrayVar(&f.valueFiles, "values", nil, "Helm values file in the repository, relative to the chart (repeatable)")
	fl.StringVar(&f.values, "values-literal", "", "inline Helm values (YAML)")
	fl.StringArrayVar(&f.helmSet, "helm-set", nil, "Helm value key=value (repeatable)")
	fl.StringVar(&f.release, "release-name", "", "Helm release name (default: the application name)")
	fl.BoolVar(&f.recurse, "directory-recurse", false, "directory sources: read subdirectories")
	fl.StringVar(&f.ignoreFile, "ignore-differences", "", "YAML file of Argo CD ignoreDifferences rules")
	fl.StringArrayVar(&f.dependsOn, "depends-on", nil, "application that must be Synced and Healthy first (repeatable)")
	fl.StringArrayVar(&f.labels, "label", nil, "application label k=v (repeatable)")
	fl.Int32Var(&f.retryLimit, "retry-limit", 0, "retries after a failed sync")
	fl.StringVar(&f.rolloutFile, "rollout", "", "YAML file of the rollout strategy (steps, maxUnavailable, progressDeadlineSeconds, onFailure)")
	fl.BoolVar(&f.requireApproval, "require-approval", false, "new plans wait for `flotilla app approve`")
	f.kustomize.register(cmd)
}

func parseKV(list []string, what string) (map[string]string, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want key=value", what, kv)
		}
		out[k] = v
	}
	return out, nil
}

var sourceKinds = map[string]pb.SourceKind{"": pb.SourceKind_SOURCE_KIND_UNSPECIFIED, "directory": pb.SourceKind_SOURCE_KIND_DIRECTORY,
	"kustomize": pb.SourceKind_SOURCE_KIND_KUSTOMIZE, "helm": pb.SourceKind_SOURCE_KIND_HELM}

// apply writes the flags that were set onto a (new or existing) app.
func (f *appFlags) apply(cmd *cobra.Command, a *pb.Application) error {
	ch := cmd.Flags().Changed
	if a.Source == nil {
		a.Source = &pb.ApplicationSource{}
	}
	if a.Destination == nil {
		a.Destination = &pb.Destination{}
	}
	if a.SyncPolicy == nil {
		a.SyncPolicy = &pb.SyncPolicy{}
	}
	s := a.Source
	set := func(name string, fn func()) {
		if ch(name) {
			fn()
		}
	}
	set("repo", func() { s.RepoUrl = f.repo })
	set("revision", func() { s.TargetRevision = f.revision })
	set("path", func() { s.Path = f.path })
	set("project", func() { a.Project = f.project })
	set("dest-namespace", func() { a.Destination.Namespace = f.destNamespace })
	set("dest-cluster", func() { a.Destination.Clusters = f.destClusters })
	set("auto-sync", func() { a.SyncPolicy.Automated = f.autoSync })
	set("prune", func() { a.SyncPolicy.Prune = f.prune })
	set("self-heal", func() { a.SyncPolicy.SelfHeal = f.selfHeal })
	set("depends-on", func() { a.DependsOn = f.dependsOn })
	set("retry-limit", func() { a.SyncPolicy.Retry = &pb.RetryPolicy{Limit: f.retryLimit} })
	if ch("kind") {
		k, ok := sourceKinds[strings.ToLower(f.kind)]
		if !ok {
			return fmt.Errorf("--kind %q: want Directory, Kustomize or Helm", f.kind)
		}
		s.Kind = k
	}
	var err error
	if ch("dest-selector") {
		if a.Destination.ClusterSelector, err = parseKV(f.destSelector, "--dest-selector"); err != nil {
			return err
		}
	}
	if ch("label") {
		if a.Labels, err = parseKV(f.labels, "--label"); err != nil {
			return err
		}
	}
	if ch("sync-option") {
		if a.SyncPolicy.Options, err = parseKV(f.syncOptions, "--sync-option"); err != nil {
			return err
		}
	}
	if ch("values") || ch("values-literal") || ch("helm-set") || ch("release-name") {
		if s.Helm == nil {
			s.Helm = &pb.HelmSource{}
		}
		set("values", func() { s.Helm.ValueFiles = f.valueFiles })
		set("values-literal", func() { s.Helm.Values = f.values })
		set("helm-set", func() { s.Helm.Parameters = f.helmSet })
		set("release-name", func() { s.Helm.ReleaseName = f.release })
	}
	set("directory-recurse", func() { s.Directory = &pb.DirectorySource{Recurse: f.recurse} })
	if f.kustomize.changed(cmd) {
		if s.Kustomize == nil {
			s.Kustomize = &pb.KustomizeSource{}
		}
		if err := f.kustomize.apply(ch, s.Kustomize); err != nil {
			return err
		}
	}
	set("require-approval", func() { a.SyncPolicy.Approval = map[bool]string{true: "required", false: ""}[f.requireApproval] })
	if ch("rollout") {
		strat, err := readRollout(f.rolloutFile)
		if err != nil {
			return err
		}
		a.Rollout = strat
	}
	if ch("ignore-differences") {
		b, err := os.ReadFile(f.ignoreFile)
		if err != nil {
			return err
		}
		rules, err := diff.LoadIgnoreRules(b)
		if err != nil {
			return fmt.Errorf("%s: %w", f.ignoreFile, err)
		}
		a.IgnoreDifferences = nil
		for _, r := range rules {
			a.IgnoreDifferences = append(a.IgnoreDifferences, &pb.IgnoreDifference{Group: r.Group, Kind: r.Kind, Name: r.Name, Namespace: r.Namespace,
				JsonPointers: r.JSONPointers, JqPathExpressions: r.JQPathExpressions, ManagedFieldsManagers: r.ManagedFieldsManagers})
		}
	}
	return nil
}

// readRollout reads a RolloutStrategy from YAML (its JSON field names).
func readRollout(file string) (*pb.RolloutStrategy, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s := &pb.RolloutStrategy{}
	if err := protojson.Unmarshal(j, s); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

func newAppCmd(hf *hubFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "app", Aliases: []string{"apps", "application"}, Short: "Manage applications on the hub"}
	cmd.AddCommand(newAppCreateCmd(hf, false), newAppCreateCmd(hf, true), newAppListCmd(hf), newAppGetCmd(hf), newAppDeleteCmd(hf),
		newAppSyncCmd(hf), newAppWaitCmd(hf), newAppDiffCmd(hf), newAppHistoryCmd(hf), newAppRollbackCmd(hf), newAppPlanCmd(hf), newAppApproveCmd(hf))
	return cmd
}

func newAppCreateCmd(hf *hubFlags, update bool) *cobra.Command {
	var f appFlags
	var upsert bool
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
					_, err = c.apps.UpdateApplication(c.ctx(cmd.Context()), &pb.UpdateApplicationRequest{Application: a})
				} else {
					_, err = c.apps.CreateApplication(c.ctx(cmd.Context()), &pb.CreateApplicationRequest{Application: a, Upsert: upsert})
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
