package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/flotilla-gitops/flotilla/deploy"
)

// The install manifests on a real API server: deploy/hub and deploy/spoke
// are accepted by server-side apply, and applying them again changes
// nothing. A spoke authenticated as the deployed ServiceAccount (a token
// from the TokenRequest API, as its pod gets) syncs an application that
// creates a namespace, and then delivers its own manifests as an ordinary
// application: an image bump reaches its Deployment through a plan.
func TestInstallSpokeServiceAccount(t *testing.T) {
	e := suite(t)
	c := e.freshCluster(t, "install")
	c.createNamespaces(t, "flotilla-system")
	applied := applyTwice(t, c, deploy.Hub, deploy.Spoke)
	// The chart's hub and spoke are the same objects: applied over them
	// under the same manager, they change nothing.
	chart, err := deploy.RenderChart(map[string]any{"spoke": map[string]any{"enabled": true}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.serverSideApply(t, chart, "kubectl") {
		if applied[k] != v {
			t.Errorf("the chart's %s differs from the Kustomize manifests':\n%s\nthen\n%s", k, applied[k], v)
		}
	}

	name := uniq("sa-spoke")
	kc := e.serviceAccountKubeconfig(t, c, "flotilla-system", "flotilla-spoke")
	e.startSpokeAs(t, name, kc)

	ns := uniq("sa-apps")
	r, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("settings", map[string]string{"k": "v"}, nil),
		"app/deploy.yaml": deploymentYAML("web", 2, nil)})
	app := uniq("sa-app")
	e.createApp(t, app, "--repo", r.url, "--path", "app", "--dest-cluster", name, "--dest-namespace", ns,
		"--sync-option", "CreateNamespace=true", "--auto-sync")
	e.appWait(t, app)
	if _, ok := c.configMap(t, ns, "settings"); !ok {
		t.Fatalf("ConfigMap %s/settings not in the cluster after a Synced sync", ns)
	}

	// The spoke's own manifests, as a user keeps them in Git.
	files := map[string]string{}
	for _, f := range []string{"kustomization.yaml", "serviceaccount.yaml", "clusterrolebinding.yaml", "deployment.yaml"} {
		b, err := os.ReadFile(filepath.Join(repoRootT(t), "deploy", "spoke", f))
		if err != nil {
			t.Fatal(err)
		}
		files["spoke/"+f] = string(b)
	}
	kust := files["spoke/kustomization.yaml"]
	files["spoke/kustomization.yaml"] = kust + spokeImage("v1.0.0")
	sr, _ := e.newRepo(t, files)
	self := uniq("flotilla-spoke")
	e.createApp(t, self, "--repo", sr.url, "--path", "spoke", "--dest-cluster", name, "--dest-namespace", "flotilla-system", "--auto-sync")
	e.appWait(t, self)
	waitImage(t, c.kube, "ghcr.io/flotilla-gitops/flotilla-spoke:v1.0.0")

	sr.commit(t, "spoke v1.0.1", map[string]string{"spoke/kustomization.yaml": kust + spokeImage("v1.0.1")})
	sr.webhook(t)
	waitImage(t, c.kube, "ghcr.io/flotilla-gitops/flotilla-spoke:v1.0.1")
	e.appWait(t, self)
	e.appWait(t, app) // the spoke kept its access through its own sync
}

// The least-privilege spoke: deploy/spoke-restricted binds a role in
// flotilla-apps only. Its spoke syncs there; an application for another
// namespace is refused by name by the spoke, and the API server would
// refuse the ServiceAccount there too.
func TestInstallRestrictedSpoke(t *testing.T) {
	e := suite(t)
	c := e.freshCluster(t, "restricted")
	other := uniq("elsewhere")
	c.createNamespaces(t, "flotilla-system", "flotilla-apps", other)
	applyTwice(t, c, deploy.SpokeRestricted)

	name := uniq("restricted")
	kc := e.serviceAccountKubeconfig(t, c, "flotilla-system", "flotilla-spoke")
	e.startSpokeAs(t, name, kc, "--allowed-namespaces", "flotilla-apps")

	r, _ := e.newRepo(t, map[string]string{"app/cm.yaml": configMapYAML("settings", map[string]string{"k": "v"}, nil),
		"app/deploy.yaml": deploymentYAML("web", 1, nil)})
	inside := uniq("inside")
	e.createApp(t, inside, "--repo", r.url, "--path", "app", "--dest-cluster", name, "--dest-namespace", "flotilla-apps", "--auto-sync")
	e.appWait(t, inside)

	outside := uniq("outside")
	e.createApp(t, outside, "--repo", r.url, "--path", "app", "--dest-cluster", name, "--dest-namespace", other, "--auto-sync")
	want := `namespace "` + other + `" is not allowed (--allowed-namespaces flotilla-apps)`
	eventually(t, time.Minute, "the outside application refused", func() (bool, string) {
		v := e.appGet(t, outside)
		tv, ok := v.target(name)
		return ok && tv.phase() == "Failed" && strings.Contains(tv.message(), want), v.String()
	})
	if _, ok := c.configMap(t, other, "settings"); ok {
		t.Errorf("ConfigMap %s/settings exists: the restricted spoke wrote outside its namespaces", other)
	}

	// Least privilege, not only the spoke's guard: the ServiceAccount
	// itself may not write outside flotilla-apps, nor read cluster-wide.
	rc, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}
	if _, err := sa.CoreV1().ConfigMaps(other).Create(ctxT(t), cm, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the restricted ServiceAccount creating a ConfigMap in %s: %v, want Forbidden", other, err)
	}
	if _, err := sa.CoreV1().ConfigMaps("").List(ctxT(t), metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the restricted ServiceAccount listing ConfigMaps cluster-wide: %v, want Forbidden", err)
	}
}

// applyTwice server-side applies deploy directories, then again: the
// second apply must change no object. It returns the objects as applied.
func applyTwice(t *testing.T, c *cluster, dirs ...string) map[string]string {
	t.Helper()
	all := map[string]string{}
	for _, dir := range dirs {
		out, err := deploy.Build(dir)
		if err != nil {
			t.Fatal(err)
		}
		first := c.serverSideApply(t, out, "kubectl")
		second := c.serverSideApply(t, out, "kubectl")
		if len(first) == 0 {
			t.Fatalf("deploy/%s: no objects", dir)
		}
		for k, v := range first {
			if second[k] != v {
				t.Errorf("deploy/%s: applying again changed %s:\n%s\nthen\n%s", dir, k, v, second[k])
			}
			all[k] = second[k]
		}
	}
	return all
}

func spokeImage(tag string) string {
	return "images:\n  - name: ghcr.io/flotilla-gitops/flotilla-spoke\n    newTag: " + tag + "\n"
}

// waitImage waits until the spoke's Deployment runs image.
func waitImage(t *testing.T, kube kubernetes.Interface, image string) {
	t.Helper()
	eventually(t, time.Minute, "flotilla-spoke runs "+image, func() (bool, string) {
		d, err := kube.AppsV1().Deployments("flotilla-system").Get(ctxT(t), "flotilla-spoke", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		got := d.Spec.Template.Spec.Containers[0].Image
		return got == image, got
	})
}

func repoRootT(t *testing.T) string {
	t.Helper()
	dir, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
