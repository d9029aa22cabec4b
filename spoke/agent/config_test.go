package agent_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/flotilla-gitops/flotilla/internal/daemontest"
	"github.com/flotilla-gitops/flotilla/spoke/agent"
)

func TestParseFlags(t *testing.T) {
	c, err := agent.ParseFlags([]string{"--hub", "hub:7443", "--token-file", "/t", "--insecure",
		"--allowed-namespaces", "team-*,web", "--allow-cluster-scoped=false", "--denied-kinds", "Secret,ClusterRoleBinding.rbac.authorization.k8s.io"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hub != "hub:7443" || c.Kubeconfig != "" || len(c.Guard.AllowedNamespaces) != 2 || c.Guard.AllowClusterScoped ||
		c.Guard.DeniedKinds[1] != (schema.GroupKind{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}) {
		t.Fatalf("config %+v", c)
	}
	for args, want := range map[string]string{
		"--insecure": "-token-file is required",
		"--token-file /t --insecure --log-level loud":     "-log-level",
		"--token-file /t --insecure --denied-kinds .apps": "denied kind",
		"--token-file /t --ca-file /nonexistent":          "-ca-file",
	} {
		if _, err := agent.ParseFlags(strings.Fields(args), io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", args, err, want)
		}
	}
}

// A spoke limited to some namespaces touches nothing cluster-wide unless
// --allow-cluster-scoped says so.
func TestAllowedNamespacesImplyNoClusterScoped(t *testing.T) {
	for args, want := range map[string]bool{
		"":                            true,
		"--allowed-namespaces team-a": false,
		"--allowed-namespaces team-a --allow-cluster-scoped":       true,
		"--allowed-namespaces team-a --allow-cluster-scoped=false": false,
		"--allow-cluster-scoped=false":                             false,
	} {
		c, err := agent.ParseFlags(append([]string{"--token-file", "/t", "--insecure"}, strings.Fields(args)...), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		if c.Guard.AllowClusterScoped != want {
			t.Errorf("%q: AllowClusterScoped %v, want %v", args, c.Guard.AllowClusterScoped, want)
		}
	}
}

// The cluster's client configuration: --kubeconfig, else KUBECONFIG (a
// list merged as kubectl merges it), else the in-cluster ServiceAccount;
// outside a pod with none of them, the error says what was looked for.
func TestKubeConfigSources(t *testing.T) {
	dir := t.TempDir()
	kc := func(name, server string) string {
		p := filepath.Join(dir, name)
		body := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: " + server + "}\nusers:\n- name: u\n  user: {token: t}\n" +
			"contexts:\n- name: " + name + "\n  context: {cluster: c, user: u}\ncurrent-context: " + name + "\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flagFile, envFile := kc("flag", "https://flag.example:6443"), kc("env", "https://env.example:6443")
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod
	t.Setenv("KUBECONFIG", envFile+string(filepath.ListSeparator)+filepath.Join(dir, "missing"))
	for want, c := range map[string]*agent.Config{"https://flag.example:6443": {Kubeconfig: flagFile}, "https://env.example:6443": {}} {
		kube, err := c.KubeConfig()
		if err != nil || kube.Host != want {
			t.Errorf("want %s: %v %v", want, kube, err)
		}
	}
	t.Setenv("KUBECONFIG", "")
	if _, err := (&agent.Config{}).KubeConfig(); err == nil || !strings.Contains(err.Error(), "no --kubeconfig, no KUBECONFIG, and not in a cluster's pod") {
		t.Errorf("outside a pod: %v", err)
	}
}

// Every flag can be set as FLOTILLA_SPOKE_<FLAG> (the install manifests
// set them from a ConfigMap); the command line wins; a variable naming no
// flag, or a value its flag refuses, is an error naming the variable.
func TestFlagsFromEnvironment(t *testing.T) {
	env := []string{"FLOTILLA_SPOKE_HUB=hub.example:7443", "FLOTILLA_SPOKE_TOKEN_FILE=/t", "FLOTILLA_SPOKE_INSECURE=true",
		"FLOTILLA_SPOKE_ALLOWED_NAMESPACES=team-a,team-b", "FLOTILLA_SPOKE_KUBE_QPS=20", "PATH=/bin", "FLOTILLA_OTHER=x"}
	c, err := agent.ParseFlagsEnv([]string{"--kube-qps", "30"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hub != "hub.example:7443" || c.TokenFile != "/t" || !c.Insecure || len(c.Guard.AllowedNamespaces) != 2 ||
		c.Guard.AllowClusterScoped || c.KubeQPS != 30 {
		t.Fatalf("config %+v", c)
	}
	c, err = agent.ParseFlagsEnv(nil, append(env, "FLOTILLA_SPOKE_ALLOW_CLUSTER_SCOPED=true"), io.Discard)
	if err != nil || !c.Guard.AllowClusterScoped {
		t.Fatalf("FLOTILLA_SPOKE_ALLOW_CLUSTER_SCOPED=true: %v, AllowClusterScoped %v", err, c.Guard.AllowClusterScoped)
	}
	for bad, want := range map[string]string{
		"FLOTILLA_SPOKE_HUB_ADDRESS=x": "FLOTILLA_SPOKE_HUB_ADDRESS: no such flag",
		"FLOTILLA_SPOKE_KUBE_QPS=fast": "FLOTILLA_SPOKE_KUBE_QPS (--kube-qps)",
		"FLOTILLA_SPOKE_INSECURE=yes":  "FLOTILLA_SPOKE_INSECURE (--insecure)",
	} {
		if _, err := agent.ParseFlagsEnv(nil, []string{"FLOTILLA_SPOKE_TOKEN_FILE=/t", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", bad, err, want)
		}
	}
}

// Every spoke flag is documented in deploy/README.md, with its variable.
func TestFlagsDocumented(t *testing.T) {
	var usage strings.Builder
	if _, err := agent.ParseFlagsEnv([]string{"-h"}, nil, &usage); err == nil {
		t.Fatal("-h: no error")
	}
	doc, err := os.ReadFile("../../deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if missing := daemontest.Undocumented(usage.String(), string(doc)); len(missing) > 0 {
		t.Errorf("flags not in deploy/README.md: %v", missing)
	}
	for _, f := range []string{"hub", "allowed-namespaces", "health-listen"} {
		if !strings.Contains(string(doc), "`"+agent.EnvName(f)+"`") {
			t.Errorf("deploy/README.md does not name %s", agent.EnvName(f))
		}
	}
}
