package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/pkg/diff"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// appFlags build an Application from `app create` / `app set` flags.
// Flags a user does not give leave the application's value alone.
type appFlags struct {
	repo, revision, path, chart, kind, project, destNamespace, ignoreFile, release, values string
	destClusters, destSelector, syncOptions, valueFiles, helmSet, dependsOn, labels        []string
	rolloutFile                                                                            string
	autoSync, prune, selfHeal, requireApproval, allowEmpty                                 bool
	retryLimit, historyLimit                                                               int32
	sourcePosition                                                                         int
	retryFactor                                                                            int32
	retryBackoff, retryMaxBackoff, waveTimeout                                             time.Duration
	dir                                                                                    dirFlags
	helm                                                                                   helmFlags
	kustomize                                                                              kustomizeFlags
}

// dirFlags fill source.directory (Argo CD's --directory-*).
type dirFlags struct {
	recurse          bool
	include, exclude []string
	// Jsonnet (Argo CD's --jsonnet-*): NAME=VALUE strings or code, libs.
	extStr, extCode, tlaStr, tlaCode, libs []string
}

// helmFlags fill source.helm.
type helmFlags struct {
	release, values, kubeVersion string
	valueFiles, set, apiVersions []string
	skipCRDs                     bool
}

func (f *appFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.repo, "repo", "", "Git repository URL")
	fl.StringVar(&f.revision, "revision", "", "branch, tag or commit (default: the default branch)")
	fl.StringVar(&f.path, "path", "", "path in the repository; may use {{cluster.name}} and {{cluster.labels.KEY}}")
	fl.IntVar(&f.sourcePosition, "source-position", 0, "which of an application's several sources (spec.sources, from 1) the source flags edit")
	fl.StringVar(&f.chart, "chart", "", "a chart of the Helm repository or OCI registry --repo (http(s):// or oci://); --revision is its version or a semver constraint (~1.2, >=1.0 <2)")
	fl.StringVar(&f.kind, "kind", "", "source kind: Directory, Kustomize or Helm (default: detect)")
	fl.StringVar(&f.project, "project", "", "project (default: default, which allows everything)")
	fl.StringArrayVar(&f.destClusters, "dest-cluster", nil, "target cluster by name (repeatable)")
	fl.StringArrayVar(&f.destSelector, "dest-selector", nil, "target clusters by label k=v (repeatable; all must match)")
	fl.StringVar(&f.destNamespace, "dest-namespace", "", "namespace for objects that name none")
	fl.BoolVar(&f.autoSync, "auto-sync", false, "sync every new revision automatically")
	fl.BoolVar(&f.prune, "prune", false, "delete objects removed from Git")
	fl.BoolVar(&f.selfHeal, "self-heal", false, "revert changes made in the cluster")
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "automated sync may prune every object when the source renders none")
	fl.DurationVar(&f.waveTimeout, "wave-timeout", 0, "longest a sync wave may take to become healthy, e.g. 5m (whole seconds; 0: the spoke's default)")
	fl.StringArrayVar(&f.syncOptions, "sync-option", nil, "sync option K=V, e.g. CreateNamespace=true (repeatable)")
	fl.StringVar(&f.ignoreFile, "ignore-differences", "", "YAML file of Argo CD ignoreDifferences rules")
	fl.StringArrayVar(&f.dependsOn, "depends-on", nil, "application that must be Synced and Healthy first (repeatable)")
	fl.StringArrayVar(&f.labels, "label", nil, "application label k=v (repeatable)")
	fl.Int32Var(&f.retryLimit, "retry-limit", 0, "retries after a failed sync (-1: without end, as Argo CD)")
	fl.DurationVar(&f.retryBackoff, "retry-backoff-duration", 0, "wait before the first retry, e.g. 5s (whole seconds; 0: the default)")
	fl.Int32Var(&f.retryFactor, "retry-backoff-factor", 0, "each retry waits this many times longer than the one before (0: the default)")
	fl.DurationVar(&f.retryMaxBackoff, "retry-backoff-max-duration", 0, "longest wait between retries, e.g. 3m (whole seconds; 0: the default)")
	fl.Int32Var(&f.historyLimit, "revision-history-limit", 0, "history entries kept per target (0: the default, 10)")
	fl.StringVar(&f.rolloutFile, "rollout", "", "YAML file of the rollout strategy (steps, maxUnavailable, progressDeadlineSeconds, onFailure)")
	fl.BoolVar(&f.requireApproval, "require-approval", false, "new plans wait for `flotilla app approve`")
	fl.BoolVar(&f.dir.recurse, "directory-recurse", false, "directory sources: read subdirectories")
	fl.StringArrayVar(&f.dir.include, "directory-include", nil, "directory sources: only files matching this glob, e.g. '*.yaml' or '{a.yaml,b.yaml}' (repeatable)")
	fl.StringArrayVar(&f.dir.exclude, "directory-exclude", nil, "directory sources: skip files matching this glob (repeatable)")
	fl.StringArrayVar(&f.dir.extStr, "jsonnet-ext-var-str", nil, "Jsonnet ext var NAME=VALUE, a string (repeatable)")
	fl.StringArrayVar(&f.dir.extCode, "jsonnet-ext-var-code", nil, "Jsonnet ext var NAME=CODE (repeatable)")
	fl.StringArrayVar(&f.dir.tlaStr, "jsonnet-tla-str", nil, "Jsonnet top-level argument NAME=VALUE, a string (repeatable)")
	fl.StringArrayVar(&f.dir.tlaCode, "jsonnet-tla-code", nil, "Jsonnet top-level argument NAME=CODE (repeatable)")
	fl.StringArrayVar(&f.dir.libs, "jsonnet-libs", nil, "Jsonnet library search path, relative to the repository root (repeatable)")
	fl.StringArrayVar(&f.helm.valueFiles, "values", nil, "Helm values file in the repository, relative to the chart (repeatable)")
	fl.StringVar(&f.helm.values, "values-literal", "", "inline Helm values (YAML)")
	fl.StringArrayVar(&f.helm.set, "helm-set", nil, "Helm value key=value (repeatable)")
	fl.StringVar(&f.helm.release, "release-name", "", "Helm release name (default: the application name)")
	fl.BoolVar(&f.helm.skipCRDs, "helm-skip-crds", false, "Helm: leave out the chart's crds/ directory")
	fl.StringVar(&f.helm.kubeVersion, "helm-kube-version", "", "Helm: Kubernetes version for .Capabilities.KubeVersion (default: the cluster's)")
	fl.StringArrayVar(&f.helm.apiVersions, "helm-api-versions", nil, "Helm: API version for .Capabilities.APIVersions, e.g. monitoring.coreos.com/v1 (repeatable)")
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

// wholeSeconds converts the duration of flag name to seconds, refusing
// what the API cannot carry (a fraction of a second, a negative time).
func wholeSeconds(name string, d time.Duration) (int64, error) {
	if d < 0 || d%time.Second != 0 {
		return 0, fmt.Errorf("--%s %s: want a whole number of seconds, 0 or more (e.g. 30s, 5m)", name, d)
	}
	return int64(d / time.Second), nil
}

var sourceKinds = map[string]pb.SourceKind{"": pb.SourceKind_SOURCE_KIND_UNSPECIFIED, "directory": pb.SourceKind_SOURCE_KIND_DIRECTORY,
	"kustomize": pb.SourceKind_SOURCE_KIND_KUSTOMIZE, "helm": pb.SourceKind_SOURCE_KIND_HELM}

// apply writes the flags that were set onto a (new or existing) app.
func (f *appFlags) apply(cmd *cobra.Command, a *pb.Application) error {
	ch := cmd.Flags().Changed
	if a.Destination == nil {
		a.Destination = &pb.Destination{}
	}
	if a.SyncPolicy == nil {
		a.SyncPolicy = &pb.SyncPolicy{}
	}
	set := func(name string, fn func()) {
		if ch(name) {
			fn()
		}
	}
	set("project", func() { a.Project = f.project })
	set("dest-namespace", func() { a.Destination.Namespace = f.destNamespace })
	set("dest-cluster", func() { a.Destination.Clusters = f.destClusters })
	set("depends-on", func() { a.DependsOn = f.dependsOn })
	set("revision-history-limit", func() { a.RevisionHistoryLimit = f.historyLimit })
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
	if err := f.editSource(cmd, a); err != nil {
		return err
	}
	if err := f.applySyncPolicy(cmd, a.SyncPolicy); err != nil {
		return err
	}
	if ch("rollout") {
		strat, err := readRollout(f.rolloutFile)
		if err != nil {
			return err
		}
		a.Rollout = strat
	}
	if ch("ignore-differences") {
		if a.IgnoreDifferences, err = readIgnoreDifferences(f.ignoreFile); err != nil {
			return err
		}
	}
	return nil
}

// applySource writes the source flags that were set.
// editSource applies the source flags to a's source, or to the source
// --source-position names when a has several.
func (f *appFlags) editSource(cmd *cobra.Command, a *pb.Application) error {
	pos, n := f.sourcePosition, len(a.GetSources())
	if n == 0 {
		if cmd.Flags().Changed("source-position") && pos != 1 {
			return fmt.Errorf("--source-position %d: application %s has one source", pos, a.GetName())
		}
		if a.Source == nil {
			a.Source = &pb.ApplicationSource{}
		}
		return f.applySource(cmd, a.Source)
	}
	if !cmd.Flags().Changed("source-position") {
		scratch := &pb.ApplicationSource{}
		if err := f.applySource(cmd, scratch); err != nil {
			return err
		}
		if !proto.Equal(scratch, &pb.ApplicationSource{}) {
			return fmt.Errorf("application %s has %d sources: give --source-position (1 to %d) to say which one the source flags edit", a.GetName(), n, n)
		}
		return nil
	}
	if pos < 1 || pos > n {
		return fmt.Errorf("--source-position %d: application %s has sources 1 to %d", pos, a.GetName(), n)
	}
	return f.applySource(cmd, a.Sources[pos-1])
}

func (f *appFlags) applySource(cmd *cobra.Command, s *pb.ApplicationSource) error {
	ch := cmd.Flags().Changed
	if ch("repo") {
		s.RepoUrl = f.repo
	}
	if ch("revision") {
		s.TargetRevision = f.revision
	}
	if ch("path") {
		s.Path = f.path
	}
	if ch("chart") {
		s.Chart = f.chart
	}
	if ch("kind") {
		k, ok := sourceKinds[strings.ToLower(f.kind)]
		if !ok {
			return fmt.Errorf("--kind %q: want Directory, Kustomize or Helm", f.kind)
		}
		s.Kind = k
	}
	if anyChanged(ch, "directory-recurse", "directory-include", "directory-exclude") || anyChanged(ch, jsonnetFlags...) {
		if s.Directory == nil {
			s.Directory = &pb.DirectorySource{}
		}
		d := s.Directory
		changed(ch, "directory-recurse", &d.Recurse, f.dir.recurse)
		changed(ch, "directory-include", &d.Include, f.dir.include)
		changed(ch, "directory-exclude", &d.Exclude, f.dir.exclude)
		if err := f.dir.applyJsonnet(ch, d); err != nil {
			return err
		}
	}
	if anyChanged(ch, "values", "values-literal", "helm-set", "release-name", "helm-skip-crds", "helm-kube-version", "helm-api-versions") {
		if s.Helm == nil {
			s.Helm = &pb.HelmSource{}
		}
		h := s.Helm
		changed(ch, "values", &h.ValueFiles, f.helm.valueFiles)
		changed(ch, "values-literal", &h.Values, f.helm.values)
		changed(ch, "helm-set", &h.Parameters, f.helm.set)
		changed(ch, "release-name", &h.ReleaseName, f.helm.release)
		changed(ch, "helm-skip-crds", &h.SkipCrds, f.helm.skipCRDs)
		changed(ch, "helm-kube-version", &h.KubeVersion, f.helm.kubeVersion)
		changed(ch, "helm-api-versions", &h.ApiVersions, f.helm.apiVersions)
	}
	if f.kustomize.changed(cmd) {
		if s.Kustomize == nil {
			s.Kustomize = &pb.KustomizeSource{}
		}
		if err := f.kustomize.apply(ch, s.Kustomize); err != nil {
			return err
		}
	}
	return nil
}

// applySyncPolicy writes the sync policy flags that were set.
func (f *appFlags) applySyncPolicy(cmd *cobra.Command, sp *pb.SyncPolicy) error {
	ch := cmd.Flags().Changed
	changed(ch, "auto-sync", &sp.Automated, f.autoSync)
	changed(ch, "prune", &sp.Prune, f.prune)
	changed(ch, "self-heal", &sp.SelfHeal, f.selfHeal)
	changed(ch, "allow-empty", &sp.AllowEmpty, f.allowEmpty)
	changed(ch, "require-approval", &sp.Approval, map[bool]string{true: "required", false: ""}[f.requireApproval])
	var err error
	if ch("sync-option") {
		if sp.Options, err = parseKV(f.syncOptions, "--sync-option"); err != nil {
			return err
		}
	}
	if ch("wave-timeout") {
		if sp.WaveTimeoutSeconds, err = wholeSeconds("wave-timeout", f.waveTimeout); err != nil {
			return err
		}
	}
	if !anyChanged(ch, "retry-limit", "retry-backoff-duration", "retry-backoff-factor", "retry-backoff-max-duration") {
		return nil
	}
	if sp.Retry == nil {
		sp.Retry = &pb.RetryPolicy{}
	}
	r := sp.Retry
	changed(ch, "retry-limit", &r.Limit, f.retryLimit)
	changed(ch, "retry-backoff-factor", &r.Factor, f.retryFactor)
	if ch("retry-backoff-duration") {
		if r.BackoffSeconds, err = wholeSeconds("retry-backoff-duration", f.retryBackoff); err != nil {
			return err
		}
	}
	if ch("retry-backoff-max-duration") {
		if r.MaxBackoffSeconds, err = wholeSeconds("retry-backoff-max-duration", f.retryMaxBackoff); err != nil {
			return err
		}
	}
	return nil
}

// changed sets *dst to v when flag name was given.
func changed[T any](ch func(string) bool, name string, dst *T, v T) {
	if ch(name) {
		*dst = v
	}
}

func anyChanged(ch func(string) bool, names ...string) bool {
	for _, n := range names {
		if ch(n) {
			return true
		}
	}
	return false
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

// readIgnoreDifferences reads Argo CD ignoreDifferences rules from YAML.
func readIgnoreDifferences(file string) ([]*pb.IgnoreDifference, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	rules, err := diff.LoadIgnoreRules(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []*pb.IgnoreDifference
	for _, r := range rules {
		out = append(out, &pb.IgnoreDifference{Group: r.Group, Kind: r.Kind, Name: r.Name, Namespace: r.Namespace,
			JsonPointers: r.JSONPointers, JqPathExpressions: r.JQPathExpressions, ManagedFieldsManagers: r.ManagedFieldsManagers})
	}
	return out, nil
}
