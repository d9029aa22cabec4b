package agent_test

import (
	"io"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

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
