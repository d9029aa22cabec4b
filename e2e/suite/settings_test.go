package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Directory include/exclude/recurse reach the cluster as Argo CD reads
// them: only the selected files are applied.
func TestDirectorySettings(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	ns := e.namespace(t, "dir")
	repo, _ := e.newRepo(t, map[string]string{
		"app/top.yaml":       configMapYAML("top", map[string]string{"k": "v"}, nil),
		"app/sub/deep.yaml":  configMapYAML("deep", map[string]string{"k": "v"}, nil),
		"app/sub/skip.yaml":  configMapYAML("skipped", map[string]string{"k": "v"}, nil),
		"app/other/not.yaml": configMapYAML("not-included", map[string]string{"k": "v"}, nil),
	})
	app := uniq("dir")
	e.createApp(t, app, "--repo", repo.url, "--path", "app", "--dest-cluster", c.Name, "--dest-namespace", ns, "--auto-sync",
		"--directory-recurse", "--directory-include", "{top.yaml,sub/*}", "--directory-exclude", "sub/skip.yaml")
	e.appWait(t, app)
	for name, want := range map[string]bool{"top": true, "deep": true, "skipped": false, "not-included": false} {
		if _, ok := c.configMap(t, ns, name); ok != want {
			t.Errorf("ConfigMap %s applied = %v, want %v", name, ok, want)
		}
	}
}

// Helm settings reach the cluster: the release name, --set values, the
// capabilities (kube version, API versions) and skipCrds.
func TestHelmSettings(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	ns := e.namespace(t, "helm")
	group := uniq("widgets") + ".example.com"
	crd := toYAML(map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets." + group},
		"spec": map[string]any{"group": group, "scope": "Namespaced", "names": map[string]any{"kind": "Widget", "plural": "widgets"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}})
	repo, _ := e.newRepo(t, map[string]string{
		"chart/Chart.yaml":       "apiVersion: v2\nname: settings\nversion: 0.1.0\n",
		"chart/values.yaml":      "color: red\n",
		"chart/crds/widget.yaml": crd,
		"chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cfg\ndata:\n" +
			"  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n" +
			"  monitoring: {{ .Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" | quote }}\n" +
			"  color: {{ .Values.color | quote }}\n",
	})
	app := uniq("helm")
	e.createApp(t, app, "--repo", repo.url, "--path", "chart", "--dest-cluster", c.Name, "--dest-namespace", ns, "--auto-sync",
		"--release-name", "rel", "--helm-set", "color=blue", "--helm-kube-version", "v1.30.1",
		"--helm-api-versions", "monitoring.coreos.com/v1", "--helm-skip-crds")
	e.appWait(t, app)
	cm, ok := c.configMap(t, ns, "rel-cfg")
	if !ok {
		t.Fatalf("ConfigMap rel-cfg (release name rel) not applied")
	}
	want := map[string]string{"kube": "v1.30.1", "monitoring": "true", "color": "blue"}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("rel-cfg %s = %q, want %q (data %v)", k, cm.Data[k], v, cm.Data)
		}
	}
	crds := c.dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	if _, err := crds.Get(ctxT(t), "widgets."+group, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the chart's CRD was applied with --helm-skip-crds (err %v)", err)
	}
}

// ignoreDifferences by jq path expression and by field manager: drift in
// an ignored field is left alone by self-heal, drift elsewhere is healed.
func TestIgnoreByJQAndManager(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	ns := e.namespace(t, "ignorejq")
	repo, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("cfg", map[string]string{"free": "git", "owned": "git", "strict": "git"}, nil)})
	rules := filepath.Join(t.TempDir(), "ignore.yaml")
	if err := os.WriteFile(rules, []byte("- kind: ConfigMap\n  jqPathExpressions:\n  - .data.free\n- kind: ConfigMap\n  managedFieldsManagers:\n  - e2e-operator\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	app := uniq("ignorejq")
	e.createApp(t, app, "--repo", repo.url, "--path", "app", "--dest-cluster", c.Name, "--dest-namespace", ns, "--auto-sync", "--self-heal",
		"--sync-option", "RespectIgnoreDifferences=true", "--ignore-differences", rules)
	e.appWait(t, app)
	cms := c.kube.CoreV1().ConfigMaps(ns)
	force := true
	if _, err := cms.Patch(ctxT(t), "cfg", types.MergePatchType, []byte(`{"data":{"free":"edited"}}`), metav1.PatchOptions{FieldManager: "e2e-someone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Patch(ctxT(t), "cfg", types.ApplyPatchType, []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"},"data":{"owned":"operator"}}`),
		metav1.PatchOptions{FieldManager: "e2e-operator", Force: &force}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Patch(ctxT(t), "cfg", types.MergePatchType, []byte(`{"data":{"strict":"edited"}}`), metav1.PatchOptions{FieldManager: "e2e-someone"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, "strict healed, free and owned left alone", func() (bool, string) {
		cm, ok := c.configMap(t, ns, "cfg")
		return ok && cm.Data["strict"] == "git" && cm.Data["free"] == "edited" && cm.Data["owned"] == "operator", strings.Join([]string{cm.Data["strict"], cm.Data["free"], cm.Data["owned"]}, ",")
	})
}

// A project's namespaceResourceBlacklist refuses a kind, naming the rule.
func TestNamespacedBlacklist(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "blacklist")
	proj := uniq("noseals")
	e.must(t, "project", "create", proj, "--repo", "*", "--dest", "*:"+ns, "--deny-namespaced-resource", "Secret")
	t.Cleanup(func() { e.flotilla(t, "project", "delete", proj) })
	repo, _ := e.newRepo(t, map[string]string{"app/s.yaml": toYAML(map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "denied"}, "stringData": map[string]any{"k": "v"}})})
	app := uniq("blacklist")
	e.createApp(t, app, "--project", proj, "--repo", repo.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.waitBlocked(t, app, []string{"project " + proj, "namespaceResourceBlacklist"})
	for _, c := range e.clusters {
		if _, err := c.kube.CoreV1().Secrets(ns).Get(ctxT(t), "denied", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: blacklisted Secret applied (err %v)", c.Name, err)
		}
	}
}

// revisionHistoryLimit bounds what app history keeps per target, and a
// failed sync is retried as the retry policy says, each retry in history.
func TestHistoryLimitAndRetries(t *testing.T) {
	e := suite(t)
	c := e.clusters[0]
	ns := e.namespace(t, "history")
	repo, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("cfg", map[string]string{"v": "0"}, nil)})
	app := uniq("history")
	e.createApp(t, app, "--repo", repo.url, "--path", "app", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync",
		"--revision-history-limit", "2", "--retry-limit", "2", "--retry-backoff-duration", "1s", "--retry-backoff-factor", "1")
	e.appWait(t, app)
	for i := 1; i <= 3; i++ {
		sha := repo.commit(t, "v", map[string]string{"app/cm.yaml": configMapYAML("cfg", map[string]string{"v": string(rune('0' + i))}, nil)})
		e.waitRevision(t, app, sha)
	}
	if h := historyOf(e.history(t, app), c.Name); len(h) != 2 {
		t.Errorf("history keeps %d entries, want 2 (revisionHistoryLimit)", len(h))
	}
	// An object the API server refuses (a port out of range): every
	// attempt fails.
	repo.commit(t, "invalid", map[string]string{"app/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 99999\n"})
	eventually(t, time.Minute, "two retries of the failed sync", func() (bool, string) {
		var by []string
		for _, x := range historyOf(e.history(t, app), c.Name) {
			by = append(by, x.InitiatedBy+"="+x.Result)
		}
		return strings.Contains(strings.Join(by, " "), "retry 2="+resultFailed), strings.Join(by, " ")
	})
}

// AppProject's namespaceResourceWhitelist (only the listed namespaced kinds)
// and clusterResourceBlacklist (denied even when whitelisted), on real
// clusters: what they refuse is never applied, the refusal naming the rule.
func TestProjectKindLists(t *testing.T) {
	e := suite(t)
	ns := e.namespace(t, "kinds")
	proj := uniq("kinds")
	e.must(t, "project", "create", proj, "--repo", "*", "--dest", "*:"+ns, "--allow-namespaced-resource", "ConfigMap",
		"--allow-cluster-resource", "*/*", "--deny-cluster-resource", "rbac.authorization.k8s.io/ClusterRole")
	t.Cleanup(func() { e.flotilla(t, "project", "delete", proj) })
	role := uniq("denied-role")
	repo, _ := e.newRepo(t, map[string]string{
		"secret/s.yaml":  toYAML(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "denied"}, "stringData": map[string]any{"k": "v"}}),
		"secret/cm.yaml": configMapYAML("allowed", map[string]string{"k": "v"}, nil),
		"role/r.yaml": toYAML(map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": role},
			"rules": []any{}}),
	})
	secret, cr := uniq("wl"), uniq("bl")
	e.createApp(t, secret, "--project", proj, "--repo", repo.url, "--path", "secret", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.createApp(t, cr, "--project", proj, "--repo", repo.url, "--path", "role", "--dest-selector", clusterLabel, "--dest-namespace", ns, "--auto-sync")
	e.waitBlocked(t, secret, []string{"project " + proj, "Secret", "not in namespaceResourceWhitelist"})
	e.waitBlocked(t, cr, []string{"project " + proj, "ClusterRole", "in clusterResourceBlacklist"})
	for _, c := range e.clusters {
		if _, err := c.kube.CoreV1().Secrets(ns).Get(ctxT(t), "denied", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: a Secret outside namespaceResourceWhitelist was applied (err %v)", c.Name, err)
		}
		if _, err := c.kube.RbacV1().ClusterRoles().Get(ctxT(t), role, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: a blacklisted ClusterRole was applied (err %v)", c.Name, err)
		}
	}
}
