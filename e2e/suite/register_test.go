package suite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/flotilla-gitops/flotilla/internal/tlsfiles/tlstest"
	"github.com/flotilla-gitops/flotilla/pkg/object"
)

// One command registers a cluster and installs its spoke: `flotilla
// cluster add NAME --kubeconfig K --context C` on a fresh cluster prints
// a line per object it applied (server-side, field manager flotilla) and
// never the token; a spoke run as its pod would be (the ServiceAccount's
// token, the ConfigMap as its environment, the token file from the
// Secret) connects to the hub. Adding the name again fails at
// registration and leaves the cluster alone (KUBECONFIG and --context
// found it, as kubectl would). The -o yaml manifest, the restricted one
// here, applies server-side, and applying it again changes nothing.
func TestClusterAddInstallsSpoke(t *testing.T) {
	e := suite(t)
	begin := time.Now()
	c := e.freshCluster(t, "register")
	t.Logf("fresh cluster ready in %s", time.Since(begin).Round(time.Millisecond))

	name := uniq("registered")
	r := e.flotilla(t, "cluster", "add", name, "--label", "e2e=register", "--kubeconfig", c.Kubeconfig, "--context", c.Name)
	t.Cleanup(func() { e.flotilla(t, "cluster", "remove", name) })
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	want := []string{
		"namespace/flotilla-system serverside-applied",
		"serviceaccount/flotilla-spoke serverside-applied",
		"secret/flotilla-spoke serverside-applied",
		"configmap/flotilla-spoke serverside-applied",
		"clusterrolebinding.rbac.authorization.k8s.io/flotilla-spoke serverside-applied",
		"deployment.apps/flotilla-spoke serverside-applied",
	}
	if got := strings.Split(strings.TrimSpace(r.stdout), "\n"); !slices.Equal(got, want) {
		t.Errorf("cluster add --kubeconfig printed:\n%s\nwant:\n%s", r.stdout, strings.Join(want, "\n"))
	}
	secret, err := c.kube.CoreV1().Secrets("flotilla-system").Get(ctxT(t), "flotilla-spoke", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := string(secret.Data["token"])
	if !strings.HasPrefix(token, "flts_") || strings.Contains(r.stdout+r.stderr, token) {
		t.Fatalf("Secret token %q; the command must not print it:\n%s", token, r)
	}
	cm, ok := c.configMap(t, "flotilla-system", "flotilla-spoke")
	if !ok {
		t.Fatal("no ConfigMap flotilla-system/flotilla-spoke")
	}
	if cm.Data["FLOTILLA_SPOKE_HUB"] != e.hub.grpcAddr || cm.Data["FLOTILLA_SPOKE_INSECURE"] != "true" {
		t.Errorf("ConfigMap data %v: want the hub %s, plaintext", cm.Data, e.hub.grpcAddr)
	}
	d, err := c.kube.AppsV1().Deployments("flotilla-system").Get(ctxT(t), "flotilla-spoke", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var appliers []string
	for _, mf := range d.ManagedFields {
		if mf.Operation == metav1.ManagedFieldsOperationApply {
			appliers = append(appliers, mf.Manager)
		}
	}
	if !slices.Equal(appliers, []string{"flotilla"}) {
		t.Errorf("the Deployment was applied by %v, want flotilla (server-side apply)", appliers)
	}

	// The spoke as its pod runs it.
	kc := e.serviceAccountKubeconfig(t, c, "flotilla-system", "flotilla-spoke")
	tokenFile := filepath.Join(e.root, name+".token")
	if err := os.WriteFile(tokenFile, secret.Data["token"], 0o600); err != nil {
		t.Fatal(err)
	}
	spoke := startSpokeWithEnv(t, e, name, cm.Data, "--kubeconfig", kc, "--token-file", tokenFile,
		"--data-dir", filepath.Join(e.root, "spoke-"+name))
	connect := time.Now()
	if err := e.waitConnected(ctxT(t), time.Minute, name); err != nil {
		t.Fatalf("%v\nspoke log:\n%s", err, spoke.logTail(20))
	}
	t.Logf("spoke connected %s after starting", time.Since(connect).Round(time.Millisecond))

	// Again: refused by the hub, before anything is applied.
	t.Setenv("KUBECONFIG", c.Kubeconfig)
	again := e.flotilla(t, "cluster", "add", name, "--context", c.Name)
	if again.code == 0 || !strings.Contains(again.stderr, "AlreadyExists") || again.stdout != "" {
		t.Errorf("adding %s again: want AlreadyExists and nothing applied: %s", name, again)
	}
	if s, err := c.kube.CoreV1().Secrets("flotilla-system").Get(ctxT(t), "flotilla-spoke", metav1.GetOptions{}); err != nil || s.ResourceVersion != secret.ResourceVersion {
		t.Errorf("adding %s again changed its Secret (%v)", name, err)
	}

	// The printed manifest, restricted, as kubectl apply --server-side.
	c.createNamespaces(t, "shop", "web")
	yamlName := uniq("printed")
	y := e.flotilla(t, "cluster", "add", yamlName, "-o", "yaml", "--allowed-namespaces", "web,shop",
		"--image", "registry.local/flotilla-spoke:e2e", "--spoke-hub", "hub.flotilla.svc:7443")
	t.Cleanup(func() { e.flotilla(t, "cluster", "remove", yamlName) })
	if y.code != 0 {
		t.Fatalf("%s", y)
	}
	var applied []string
	for k := range c.serverSideApply(t, []byte(y.stdout), "kubectl") {
		applied = append(applied, k)
	}
	sort.Strings(applied)
	wantApplied := []string{
		"ClusterRole /flotilla-spoke-namespaced", "ConfigMap flotilla-system/flotilla-spoke", "Deployment flotilla-system/flotilla-spoke",
		"Namespace /flotilla-system", "RoleBinding shop/flotilla-spoke", "RoleBinding web/flotilla-spoke",
		"Secret flotilla-system/flotilla-spoke", "ServiceAccount flotilla-system/flotilla-spoke",
	}
	if !slices.Equal(applied, wantApplied) {
		t.Errorf("-o yaml applied %v, want %v", applied, wantApplied)
	}
	// The Deployment's controller writes its status while the new pod
	// rolls out: the second apply is compared once it has.
	eventually(t, time.Minute, "flotilla-spoke rolled out", func() (bool, string) {
		d, err := c.kube.AppsV1().Deployments("flotilla-system").Get(ctxT(t), "flotilla-spoke", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		st := d.Status
		done := false
		for _, cond := range st.Conditions {
			done = done || cond.Type == appsv1.DeploymentProgressing && cond.Reason == "NewReplicaSetAvailable"
		}
		return done && st.ObservedGeneration == d.Generation && st.Replicas == 1 && st.UpdatedReplicas == 1 && st.AvailableReplicas == 1,
			fmt.Sprintf("%+v", st)
	})
	before := c.resourceVersions(t, applied)
	c.serverSideApply(t, []byte(y.stdout), "kubectl")
	after := c.resourceVersions(t, applied)
	for _, k := range applied {
		if before[k] != after[k] {
			t.Errorf("applying the manifest again changed %s (resourceVersion %s, then %s)", k, before[k], after[k])
		}
	}
	if d, err := c.kube.AppsV1().Deployments("flotilla-system").Get(ctxT(t), "flotilla-spoke", metav1.GetOptions{}); err != nil ||
		d.Spec.Template.Spec.Containers[0].Image != "registry.local/flotilla-spoke:e2e" {
		t.Errorf("the applied manifest's image: %v", err)
	}
}

// Every variable the manifests give the spoke names one of its flags with
// a value it takes: the ConfigMap and Deployment of a plaintext manifest
// and of an mTLS one (CA, client certificate, restricted namespaces) are
// the environment of `flotilla-spoke --version`, which parses its flags
// and variables (an unknown one is an error) and exits.
func TestClusterAddManifestVariablesAreSpokeFlags(t *testing.T) {
	e := suite(t)
	ca := tlstest.NewCA(t, "flotilla-e2e")
	h, admin := e.startMTLSHub(t, "tls-register", ca)
	cliCert, cliKey := ca.Issue(t, "admin")
	mtls := e.runAt(ctxT(t), h.grpcAddr, admin, "--tls", "--ca-file", ca.File, "--cert-file", cliCert, "--key-file", cliKey,
		"cluster", "add", "edge", "-o", "yaml", "--allowed-namespaces", "web,shop")
	if mtls.code != 0 {
		t.Fatalf("%s", mtls)
	}
	if !strings.Contains(mtls.stderr, "tls.crt and tls.key") {
		t.Errorf("an mTLS manifest without the client certificate must say so on stderr:\n%s", mtls.stderr)
	}
	plainName := uniq("plain")
	plain := e.flotilla(t, "cluster", "add", plainName, "-o", "yaml")
	t.Cleanup(func() { e.flotilla(t, "cluster", "remove", plainName) })
	if plain.code != 0 {
		t.Fatalf("%s", plain)
	}
	spokeBin := filepath.Join(e.bin, "flotilla-spoke")
	for name, manifest := range map[string]string{"mTLS": mtls.stdout, "plaintext": plain.stdout} {
		env := manifestEnv(t, manifest)
		if len(env) < 2 {
			t.Fatalf("%s: variables %v", name, env)
		}
		for _, want := range map[string][]string{
			"mTLS":      {"FLOTILLA_SPOKE_HUB", "FLOTILLA_SPOKE_CA_FILE", "FLOTILLA_SPOKE_CERT_FILE", "FLOTILLA_SPOKE_KEY_FILE", "FLOTILLA_SPOKE_ALLOWED_NAMESPACES"},
			"plaintext": {"FLOTILLA_SPOKE_HUB", "FLOTILLA_SPOKE_INSECURE"},
		}[name] {
			if _, ok := env[want]; !ok {
				t.Errorf("%s manifest lacks %s: %v", name, want, env)
			}
		}
		if out, err := spokeVersion(spokeBin, env); err != nil {
			t.Errorf("%s manifest's variables %v: flotilla-spoke refuses them: %v\n%s", name, env, err, out)
		}
	}
	// Not vacuous: the spoke refuses a variable that names no flag.
	out, err := spokeVersion(spokeBin, map[string]string{"FLOTILLA_SPOKE_NO_SUCH_FLAG": "x"})
	if err == nil || !strings.Contains(out, "FLOTILLA_SPOKE_NO_SUCH_FLAG") {
		t.Errorf("flotilla-spoke --version with an unknown variable: %v\n%s", err, out)
	}
}

// manifestEnv is the spoke's environment in a registration manifest: the
// ConfigMap flotilla-spoke and the spoke container's env.
func manifestEnv(t *testing.T, manifest string) map[string]string {
	t.Helper()
	objs, err := object.Decode("manifest", []byte(manifest), object.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, u := range objs {
		switch u.GetKind() {
		case "ConfigMap":
			data, _, _ := unstructured.NestedStringMap(u.Object, "data")
			for k, v := range data {
				env[k] = v
			}
		case "Deployment":
			cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
			for _, c := range cs {
				vars, _ := c.(map[string]any)["env"].([]any)
				for _, v := range vars {
					v := v.(map[string]any)
					env[v["name"].(string)] = v["value"].(string)
				}
			}
		}
	}
	return env
}

// spokeVersion runs flotilla-spoke --version with env added to a
// FLOTILLA_SPOKE_-free environment.
func spokeVersion(bin string, env map[string]string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = spokeEnv(env)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// spokeEnv is the test's environment without FLOTILLA_ variables, plus env.
func spokeEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FLOTILLA_") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// startSpokeWithEnv runs flotilla-spoke with env as its variables (as
// envFrom gives them to its pod), stopped when the test ends.
func startSpokeWithEnv(t *testing.T, e *env, name string, env map[string]string, args ...string) *proc {
	t.Helper()
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Fatal(err)
	}
	// env(1) adds the variables and execs the spoke: the process is the
	// spoke, and its log's first line shows them.
	var full []string
	for k, v := range env {
		full = append(full, k+"="+v)
	}
	sort.Strings(full)
	full = append(append(full, filepath.Join(e.bin, "flotilla-spoke")), args...)
	p, err := startProc("flotilla-spoke "+name, filepath.Join(e.root, "spoke-"+name+".log"), envBin, full...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.stop(10 * time.Second); err != nil {
			t.Errorf("spoke %s: %v", name, err)
		}
	})
	return p
}

// kindResources are the resources of the kinds a registration manifest holds.
var kindResources = map[string]schema.GroupVersionResource{
	"Namespace":          {Version: "v1", Resource: "namespaces"},
	"ServiceAccount":     {Version: "v1", Resource: "serviceaccounts"},
	"Secret":             {Version: "v1", Resource: "secrets"},
	"ConfigMap":          {Version: "v1", Resource: "configmaps"},
	"ClusterRole":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	"ClusterRoleBinding": {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
	"RoleBinding":        {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	"Deployment":         {Group: "apps", Version: "v1", Resource: "deployments"},
}

// resourceVersions reads the live resourceVersion of objects named
// "Kind namespace/name".
func (c *cluster) resourceVersions(t *testing.T, keys []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range keys {
		kind, nsName, _ := strings.Cut(k, " ")
		ns, name, _ := strings.Cut(nsName, "/")
		gvr, ok := kindResources[kind]
		if !ok {
			t.Fatalf("%s: no resource known for kind %s", k, kind)
		}
		var ri dynamic.ResourceInterface = c.dyn.Resource(gvr)
		if ns != "" {
			ri = c.dyn.Resource(gvr).Namespace(ns)
		}
		u, err := ri.Get(ctxT(t), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: %s: %v", c.Name, k, err)
		}
		out[k] = u.GetResourceVersion()
	}
	return out
}
