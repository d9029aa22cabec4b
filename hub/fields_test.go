package hub

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// proof names the test that shows a field take effect and a text its body
// must contain (the CLI flag or field it sets): a field with no proof, or
// a proof whose test does not exist or does not set it, fails.
type proof struct{ test, mention string }

// fieldProofs covers every field of Application, Project and
// SyncApplicationRequest (nested messages field by field). Tests under
// e2e/ run on real clusters; the others prove what the hub alone decides
// (selection, rollout steps, validation) or what renders.
var fieldProofs = map[string]proof{
	"Application.name":                                               {"TestSyncOverrides", "createApp(t, app"},
	"Application.source.kustomize.enableHelm":                        {"TestKustomizeHelmChartsOnClusters", `"--kustomize-enable-helm"`},
	"Application.sources.ref":                                        {"TestChartDependencyAndValuesFromAnotherRepository", `Ref: "values"`},
	"Application.source.ref":                                         {"TestValidateSources", `"ref in one source"`},
	"Application.project":                                            {"TestProjectForbidsNamespaceAndKind", `"--project"`},
	"Application.source.repoUrl":                                     {"TestSyncOverrides", `"--repo"`},
	"Application.source.targetRevision":                              {"TestKustomizeAndHelmPerCluster", `"--revision"`},
	"Application.source.path":                                        {"TestSyncOverrides", `"--path"`},
	"Application.source.directory.jsonnet.extVars.name":              {"TestJsonnetDirectory", `"--jsonnet-ext-var-str"`},
	"Application.source.directory.jsonnet.extVars.value":             {"TestJsonnetDirectory", `"--jsonnet-ext-var-str"`},
	"Application.source.directory.jsonnet.extVars.code":              {"TestJsonnetDirectory", `"--jsonnet-ext-var-code"`},
	"Application.source.directory.jsonnet.tlas.name":                 {"TestJsonnetDirectory", `"--jsonnet-tla-str"`},
	"Application.source.directory.jsonnet.tlas.value":                {"TestJsonnetDirectory", `"--jsonnet-tla-str"`},
	"Application.source.directory.jsonnet.tlas.code":                 {"TestJsonnetDirectory", `"--jsonnet-tla-code"`},
	"Application.source.directory.jsonnet.libs":                      {"TestJsonnetDirectory", `"--jsonnet-libs"`},
	"Application.source.chart":                                       {"TestChartFromHelmRepository", `Chart: "web"`},
	"Application.source.kind":                                        {"TestKustomizeOverridesRefused", `"--kind"`},
	"Application.source.directory.recurse":                           {"TestDirectorySettings", `"--directory-recurse"`},
	"Application.source.directory.include":                           {"TestDirectorySettings", `"--directory-include"`},
	"Application.source.directory.exclude":                           {"TestDirectorySettings", `"--directory-exclude"`},
	"Application.source.helm.releaseName":                            {"TestHelmSettings", `"--release-name"`},
	"Application.source.helm.valueFiles":                             {"TestKustomizeAndHelmPerCluster", `"--values"`},
	"Application.source.helm.values":                                 {"TestRenderGolden", "Values:"},
	"Application.source.helm.parameters":                             {"TestHelmSettings", `"--helm-set"`},
	"Application.source.helm.kubeVersion":                            {"TestHelmSettings", `"--helm-kube-version"`},
	"Application.source.helm.apiVersions":                            {"TestHelmSettings", `"--helm-api-versions"`},
	"Application.source.helm.skipCrds":                               {"TestHelmSettings", `"--helm-skip-crds"`},
	"Application.source.kustomize.namePrefix":                        {"TestKustomizeOverrides", `"--nameprefix"`},
	"Application.source.kustomize.nameSuffix":                        {"TestKustomizeOverrides", `"--namesuffix"`},
	"Application.source.kustomize.commonLabels":                      {"TestKustomizeOverrides", `"--kustomize-common-label"`},
	"Application.source.kustomize.images":                            {"TestKustomizeOverrides", `"--kustomize-image"`},
	"Application.source.kustomize.namespace":                         {"TestKustomizeOverrides", `"--kustomize-namespace"`},
	"Application.source.kustomize.commonAnnotations":                 {"TestKustomizeOverrides", `"--kustomize-common-annotation"`},
	"Application.source.kustomize.replicas.name":                     {"TestKustomizeOverrides", `"--kustomize-replica"`},
	"Application.source.kustomize.replicas.count":                    {"TestKustomizeOverrides", `"--kustomize-replica"`},
	"Application.source.kustomize.patches.patch":                     {"TestKustomizeOverrides", "patch: |"},
	"Application.source.kustomize.patches.path":                      {"TestKustomizeOverrides", "- path:"},
	"Application.source.kustomize.patches.target.group":              {"TestKustomizeOverrides", "target: {group: apps"},
	"Application.source.kustomize.patches.target.kind":               {"TestKustomizeOverrides", "kind: Deployment"},
	"Application.source.kustomize.patches.target.name":               {"TestKustomizeOverrides", "name: web}"},
	"Application.source.kustomize.patches.target.version":            {"TestKustomizePatchTargets", "Version:"},
	"Application.source.kustomize.patches.target.namespace":          {"TestKustomizePatchTargets", "Namespace:"},
	"Application.source.kustomize.patches.target.labelSelector":      {"TestKustomizePatchTargets", "LabelSelector:"},
	"Application.source.kustomize.patches.target.annotationSelector": {"TestKustomizePatchTargets", "AnnotationSelector:"},
	"Application.destination.clusters":                               {"TestSyncOverrides", `"--dest-cluster"`},
	"Application.destination.clusterSelector":                        {"TestSyncWindowHoldsSyncs", `"--dest-selector"`},
	"Application.destination.namespace":                              {"TestSyncOverrides", `"--dest-namespace"`},
	"Application.syncPolicy.automated":                               {"TestSyncWindowHoldsSyncs", `"--auto-sync"`},
	"Application.syncPolicy.prune":                                   {"TestPruneKeepsPruneFalse", `"--prune"`},
	"Application.syncPolicy.selfHeal":                                {"TestSelfHealAndDrift", `"--self-heal"`},
	"Application.syncPolicy.options":                                 {"TestIgnoreReplicasScaledByAnotherManager", `"--sync-option"`},
	"Application.syncPolicy.retry.limit":                             {"TestHistoryLimitAndRetries", `"--retry-limit"`},
	"Application.syncPolicy.retry.backoffSeconds":                    {"TestHistoryLimitAndRetries", `"--retry-backoff-duration"`},
	"Application.syncPolicy.retry.factor":                            {"TestHistoryLimitAndRetries", `"--retry-backoff-factor"`},
	"Application.syncPolicy.retry.maxBackoffSeconds":                 {"TestRetryDelay", "MaxBackoffSeconds:"},
	"Application.syncPolicy.approval":                                {"TestDependsOnAndApprovalOnClusters", "Approval:"},
	"Application.syncPolicy.allowEmpty":                              {"TestAllowEmptyFromCLI", `"--allow-empty"`},
	"Application.syncPolicy.waveTimeoutSeconds":                      {"TestWaveTimeoutFromCLI", `"--wave-timeout"`},
	"Application.ignoreDifferences.group":                            {"TestIgnoreReplicasScaledByAnotherManager", "group: apps"},
	"Application.ignoreDifferences.kind":                             {"TestIgnoreReplicasScaledByAnotherManager", "kind: Deployment"},
	"Application.ignoreDifferences.name":                             {"TestIgnoreRuleMatching", `Name: "web"`},
	"Application.ignoreDifferences.namespace":                        {"TestIgnoreRuleMatching", `Namespace: "shop"`},
	"Application.ignoreDifferences.jsonPointers":                     {"TestIgnoreReplicasScaledByAnotherManager", "jsonPointers:"},
	"Application.ignoreDifferences.jqPathExpressions":                {"TestIgnoreByJQAndManager", "jqPathExpressions:"},
	"Application.ignoreDifferences.managedFieldsManagers":            {"TestIgnoreByJQAndManager", "managedFieldsManagers:"},
	"Application.dependsOn":                                          {"TestDependsOnAndApprovalOnClusters", "DependsOn:"},
	"Application.labels":                                             {"TestFieldsOutputAndInformational", "Labels:"},
	"Application.createdAt":                                          {"TestFieldsOutputAndInformational", "CreatedAt:"},
	"Application.rollout.steps.name":                                 {"TestCanaryHaltAndRevert", `Name: "canary"`},
	"Application.rollout.steps.selector":                             {"TestCanaryHaltAndRevert", "Selector:"},
	"Application.rollout.steps.count":                                {"TestRolloutHaltsAndReverts", "Count:"},
	"Application.rollout.steps.percent":                              {"TestRollout200TargetsRespectsMaxUnavailable", "Percent:"},
	"Application.rollout.steps.bakeSeconds":                          {"TestCanaryHaltAndRevert", "BakeSeconds:"},
	"Application.rollout.steps.pause":                                {"TestCanaryBakesPausesThenGoesOn", "StepAwaitingApproval"},
	"Application.rollout.maxUnavailable":                             {"TestRollout200TargetsRespectsMaxUnavailable", "MaxUnavailable:"},
	"Application.rollout.progressDeadlineSeconds":                    {"TestCanaryHaltAndRevert", "ProgressDeadlineSeconds:"},
	"Application.rollout.onFailure":                                  {"TestCanaryHaltAndRevert", "OnFailure:"},
	"Application.revisionHistoryLimit":                               {"TestHistoryLimitAndRetries", `"--revision-history-limit"`},
	"Application.managedBy.kind":                                     {"TestOwnership", "OwnerApplication"},
	"Application.managedBy.name":                                     {"TestAppOfAppsHelmChart", "Parent == parent"},
	"Application.managedBy.repoUrl":                                  {"TestAppOfAppsHelmChart", `"Declared: application "`},
	"Application.managedBy.revision":                                 {"TestAppOfAppsHelmChart", `"Declared: application "`},
	"Application.managedBy.path":                                     {"TestAppOfAppsHelmChart", `"Declared: application "`},
	"Application.warnings":                                           {"TestApplyRefusesBadInput", "Warnings"},
	"Application.annotations":                                        {"TestAppOfAppsHelmChart", `childApp{beta, "beta", "1"}`},
	"Application.finalizers":                                         {"TestAppOfAppsHelmChart", "(resources finalizer)"},
	"Application.destination.inCluster":                              {"TestApplyArgoDocsGuestbook", "inCluster: true"},

	"Project.name":                               {"TestProjectForbidsNamespaceAndKind", `"project", "create", proj`},
	"Project.description":                        {"TestFieldsOutputAndInformational", "Description:"},
	"Project.sourceRepos":                        {"TestProjectRulesNameTheRule", "SourceRepos:"},
	"Project.destinations.cluster":               {"TestProjectForbidsNamespaceAndKind", `"--dest", "*:"`},
	"Project.destinations.namespace":             {"TestProjectForbidsNamespaceAndKind", `"--dest", "*:"`},
	"Project.clusterResourceWhitelist.group":     {"TestProjectForbidsNamespaceAndKind", `"--allow-cluster-resource"`},
	"Project.clusterResourceWhitelist.kind":      {"TestProjectForbidsNamespaceAndKind", `"--allow-cluster-resource"`},
	"Project.namespaceResourceBlacklist.group":   {"TestNamespacedBlacklist", `"--deny-namespaced-resource"`},
	"Project.namespaceResourceBlacklist.kind":    {"TestNamespacedBlacklist", `"--deny-namespaced-resource"`},
	"Project.syncWindows.kind":                   {"TestSyncWindowHoldsSyncs", `"--kind", "deny"`},
	"Project.syncWindows.schedule":               {"TestSyncWindowHoldsSyncs", `"--schedule"`},
	"Project.syncWindows.duration":               {"TestSyncWindowHoldsSyncs", `"--duration"`},
	"Project.syncWindows.applications":           {"TestSyncWindowHoldsSyncs", `"--applications"`},
	"Project.syncWindows.clusters":               {"TestDecide", "Clusters:"},
	"Project.syncWindows.namespaces":             {"TestDecide", "Namespaces:"},
	"Project.syncWindows.manualSync":             {"TestSyncWindowHoldsSyncs", `"enable-manual-sync"`},
	"Project.syncWindows.timeZone":               {"TestDecide", "TimeZone:"},
	"Project.clusterResourceBlacklist.group":     {"TestProjectKindLists", `"--deny-cluster-resource"`},
	"Project.clusterResourceBlacklist.kind":      {"TestProjectKindLists", `"--deny-cluster-resource"`},
	"Project.namespaceResourceWhitelist.group":   {"TestProjectKindLists", `"--allow-namespaced-resource"`},
	"Project.namespaceResourceWhitelist.kind":    {"TestProjectKindLists", `"--allow-namespaced-resource"`},
	"Project.managedBy.kind":                     {"TestProjectDeclaredInGit", "ManagedBy"},
	"Project.managedBy.name":                     {"TestProjectDeclaredInGit", "ManagedBy"},
	"Project.managedBy.repoUrl":                  {"TestProjectDeclaredInGit", "RepoUrl"},
	"Project.managedBy.revision":                 {"TestProjectDeclaredInGit", "Revision"},
	"Project.managedBy.path":                     {"TestProjectDeclaredInGit", "Path"},
	"Project.warnings":                           {"TestProjectDeclaredInGit", "Warnings"},
	"SyncApplicationRequest.name":                {"TestSyncOverrides", `"app", "sync", app`},
	"SyncApplicationRequest.clusters":            {"TestSyncWindowHoldsSyncs", `"--cluster"`},
	"SyncApplicationRequest.revision":            {"TestSyncOverrides", `"--revision"`},
	"SyncApplicationRequest.prune":               {"TestSyncOverrides", `"--prune"`},
	"SyncApplicationRequest.dryRun":              {"TestSyncOverrides", `"--dry-run"`},
	"SyncApplicationRequest.options":             {"TestSyncOverrides", `"--sync-option"`},
	"SyncApplicationRequest.resources.group":     {"TestSyncOverrides", `"--resource", ":ConfigMap:"`},
	"SyncApplicationRequest.resources.kind":      {"TestSyncOverrides", `"--resource", ":ConfigMap:"`},
	"SyncApplicationRequest.resources.namespace": {"TestSyncOverrides", `":ConfigMap:"+ns+"/a"`},
	"SyncApplicationRequest.resources.name":      {"TestSyncOverrides", `":ConfigMap:"+ns+"/a"`},
	"SyncApplicationRequest.confirmPrune":        {"TestSyncOverrides", `"--confirm-prune"`},
}

// leafFields lists the fields a user sets: scalars, lists and maps by
// path; a message field stands for its own fields.
func leafFields(prefix string, md protoreflect.MessageDescriptor, out *[]string) {
	fs := md.Fields()
	for i := range fs.Len() {
		f := fs.Get(i)
		p := prefix + f.JSONName()
		if m := f.Message(); m != nil && !f.IsMap() && m.FullName() != "google.protobuf.Timestamp" {
			leafFields(p+".", m, out)
			continue
		}
		*out = append(*out, p)
	}
}

// testBodies indexes every test function of the repository by name.
func testBodies(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				body := string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
				out[fn.Name.Name] = append(out[fn.Name.Name], body)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every field of the Application, Project and sync request protos has a
// test showing it take effect (or, for output and informational fields,
// what it does): a new field without one fails here.
func TestEveryFieldIsProven(t *testing.T) {
	var fields []string
	leafFields("Application.", (&pb.Application{}).ProtoReflect().Descriptor(), &fields)
	leafFields("Project.", (&pb.Project{}).ProtoReflect().Descriptor(), &fields)
	leafFields("SyncApplicationRequest.", (&pb.SyncApplicationRequest{}).ProtoReflect().Descriptor(), &fields)
	bodies := testBodies(t)
	known := map[string]bool{}
	for _, f := range fields {
		known[f] = true
		p, ok := fieldProofs[f]
		if rest, multi := strings.CutPrefix(f, "Application.sources."); multi && !ok {
			// Each of several sources is read and rendered by the code that
			// reads the one source: the proof of source's field stands.
			p, ok = fieldProofs["Application.source."+rest]
		}
		if !ok {
			t.Errorf("%s: no test proves it takes effect (add one, or refuse the field with InvalidArgument)", f)
			continue
		}
		found := false
		for _, b := range bodies[p.test] {
			found = found || strings.Contains(b, p.mention)
		}
		if !found {
			t.Errorf("%s: test %s does not exist or does not contain %s", f, p.test, p.mention)
		}
	}
	for f := range fieldProofs {
		if !known[f] {
			t.Errorf("%s: a proof for a field the protos do not have", f)
		}
	}
}

// Output and informational fields: createdAt is the hub's (a client's
// value is replaced), labels select applications in list, a project's
// description is kept and shown.
func TestFieldsOutputAndInformational(t *testing.T) {
	e := start(t)
	projects := pb.NewProjectServiceClient(e.conn)
	if _, err := projects.CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team", Description: "the team's apps", SourceRepos: []string{"*"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := projects.GetProject(e.admin, &pb.GetProjectRequest{Name: "team"})
	if err != nil || got.GetProject().GetDescription() != "the team's apps" {
		t.Errorf("project description: %v %v", got.GetProject(), err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	old := timestamppb.New(timestamppb.Now().AsTime().AddDate(-10, 0, 0))
	r, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "web", Labels: map[string]string{"team": "a"},
		CreatedAt: old, Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "web"}, Destination: &pb.Destination{Clusters: []string{"east"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetApplication().GetCreatedAt().AsTime().Before(timestamppb.Now().AsTime().AddDate(0, 0, -1)) {
		t.Errorf("createdAt %v: the client's value was kept", r.GetApplication().GetCreatedAt().AsTime())
	}
	for sel, want := range map[string]int{"a": 1, "b": 0} {
		l, err := apps.ListApplications(e.admin, &pb.ListApplicationsRequest{Selector: map[string]string{"team": sel}})
		if err != nil || len(l.GetApplications()) != want {
			t.Errorf("list team=%s: %d applications (%v), want %d", sel, len(l.GetApplications()), err, want)
		}
	}
}
