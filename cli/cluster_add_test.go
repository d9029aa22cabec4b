package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/flotilla-gitops/flotilla/internal/version"
	"github.com/flotilla-gitops/flotilla/pkg/object"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// spokeWelcome connects to the hub's SpokeService as a spoke with token
// and returns the cluster the hub welcomes.
func spokeWelcome(t *testing.T, hub, token string) string {
	t.Helper()
	conn, err := grpc.NewClient(hub, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token), 30*time.Second)
	defer cancel()
	s, err := pb.NewSpokeServiceClient(conn).Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: &pb.Hello{}}}); err != nil {
		t.Fatal(err)
	}
	m, err := s.Recv()
	if err != nil {
		t.Fatalf("the hub refuses the manifest's token: %v", err)
	}
	return m.GetWelcome().GetCluster()
}

// The -o yaml manifest is the expected objects, its Secret holds a token
// the hub accepts for that cluster, and its flags shape it.
func TestClusterAddManifest(t *testing.T) {
	g, _ := startHub(t)
	must := mustRun(t, g)

	out, errOut, code := run(t, "", append(g, "cluster", "add", "east", "--label", "env=prod", "-o", "yaml")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	objs, err := object.Decode("stdout", []byte(out), object.DefaultLimits())
	if err != nil {
		t.Fatalf("-o yaml is no YAML stream: %v\n%s", err, out)
	}
	want := []string{
		"Namespace flotilla-system", "ServiceAccount flotilla-system/flotilla-spoke", "Secret flotilla-system/flotilla-spoke",
		"ConfigMap flotilla-system/flotilla-spoke", "ClusterRoleBinding flotilla-spoke", "Deployment flotilla-system/flotilla-spoke",
	}
	if got := ids(objs); !slices.Equal(got, want) {
		t.Errorf("objects:\n got %v\nwant %v", got, want)
	}
	m := spokeManifest{Hub: g[1], Insecure: true, Image: defaultSpokeImage(version.Version)}
	checkSpokeObjects(t, m, objs)
	env := find(t, objs, "ConfigMap", spokeName).Object["data"].(map[string]any)
	if env["FLOTILLA_SPOKE_HUB"] != g[1] || env["FLOTILLA_SPOKE_INSECURE"] != "true" || len(env) != 2 {
		t.Errorf("ConfigMap data %v: want the CLI's hub %s, plaintext", env, g[1])
	}
	token := secretData(t, objs)["token"]
	if !strings.HasPrefix(token, "flts_") {
		t.Fatalf("Secret token %q", token)
	}
	if got := spokeWelcome(t, g[1], token); got != "east" {
		t.Errorf("the hub welcomes the manifest's token as cluster %q, want east", got)
	}
	if !strings.Contains(errOut, "loopback") || strings.Contains(errOut, token) {
		t.Errorf("stderr should warn of the loopback hub address, never show the token:\n%s", errOut)
	}
	if out := must("cluster", "get", "east", "-o", "json"); !strings.Contains(out, `"env": "prod"`) {
		t.Errorf("cluster east lacks its label:\n%s", out)
	}

	// Restricted, another image, the hub as the cluster reaches it.
	out = must("cluster", "add", "team", "-o", "yaml", "--allowed-namespaces", "web,shop", "--allowed-namespaces", "jobs",
		"--image", "registry.local/flotilla-spoke:v9", "--spoke-hub", "hub.flotilla.svc:7443")
	if objs, err = object.Decode("stdout", []byte(out), object.DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	want = []string{
		"Namespace flotilla-system", "ServiceAccount flotilla-system/flotilla-spoke", "Secret flotilla-system/flotilla-spoke",
		"ConfigMap flotilla-system/flotilla-spoke", "ClusterRole flotilla-spoke-namespaced",
		"RoleBinding jobs/flotilla-spoke", "RoleBinding shop/flotilla-spoke", "RoleBinding web/flotilla-spoke",
		"Deployment flotilla-system/flotilla-spoke",
	}
	if got := ids(objs); !slices.Equal(got, want) {
		t.Errorf("restricted objects:\n got %v\nwant %v", got, want)
	}
	checkSpokeObjects(t, spokeManifest{Image: "registry.local/flotilla-spoke:v9"}, objs)
	if env := find(t, objs, "ConfigMap", spokeName).Object["data"].(map[string]any); env["FLOTILLA_SPOKE_HUB"] != "hub.flotilla.svc:7443" {
		t.Errorf("--spoke-hub: ConfigMap data %v", env)
	}
	if !strings.Contains(out, "value: web,shop,jobs") {
		t.Errorf("restricted Deployment lacks FLOTILLA_SPOKE_ALLOWED_NAMESPACES=web,shop,jobs:\n%s", out)
	}
	if got := spokeWelcome(t, g[1], secretData(t, objs)["token"]); got != "team" {
		t.Errorf("the hub welcomes the restricted manifest's token as %q, want team", got)
	}
}

// Flags that cannot take effect are refused before anything is
// registered, naming the flag; so is a cluster that cannot be installed.
func TestClusterAddRefusals(t *testing.T) {
	g, _ := startHub(t)
	missing := filepath.Join(t.TempDir(), "missing.kubeconfig")
	// A cluster that does not answer (nothing listens on port 1).
	unreachable := filepath.Join(t.TempDir(), "unreachable.kubeconfig")
	if err := os.WriteFile(unreachable, []byte(`apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: admin, user: {token: x}}]
contexts: [{name: gone, context: {cluster: gone, user: admin}}]
current-context: gone
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"--image without a manifest":      {[]string{"--image", "x/y:1"}, "--image"},
		"--spoke-hub with -o json":        {[]string{"-o", "json", "--spoke-hub", "h:1"}, "--spoke-hub"},
		"--allowed-namespaces, -o table":  {[]string{"--allowed-namespaces", "web"}, "--allowed-namespaces"},
		"-o json with --kubeconfig":       {[]string{"-o", "json", "--kubeconfig", missing}, "-o cannot be used with --kubeconfig"},
		"-o yaml with --context":          {[]string{"-o", "yaml", "--context", "east"}, "-o cannot be used"},
		"a glob for --allowed-namespaces": {[]string{"-o", "yaml", "--allowed-namespaces", "team-*"}, "globs"},
		"an empty --image":                {[]string{"-o", "yaml", "--image", ""}, "--image: empty"},
		"an empty --allowed-namespaces":   {[]string{"-o", "yaml", "--allowed-namespaces", ""}, "--allowed-namespaces: no namespace"},
		"a kubeconfig that is not there":  {[]string{"--kubeconfig", missing}, "missing.kubeconfig"},
		"a context that is not there":     {[]string{"--kubeconfig", unreachable, "--context", "nope"}, `context "nope" does not exist`},
		"a cluster that does not answer":  {[]string{"--kubeconfig", unreachable}, "context gone"},
		"an unknown -o":                   {[]string{"-o", "wide"}, "unknown output format"},
	} {
		_, errOut, code := run(t, "", append(g, append([]string{"cluster", "add", "refused"}, c.args...)...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %q; want refused naming %q", name, code, errOut, c.want)
		}
	}
	if _, errOut, code := run(t, "", append(g, "cluster", "get", "refused")...); code == 0 || !strings.Contains(errOut, "NotFound") {
		t.Errorf("a refused cluster add registered the cluster: exit %d %s", code, errOut)
	}
}

// What the manifest cannot hold is said on stderr, with the command that
// adds it.
func TestClusterAddNotes(t *testing.T) {
	var b strings.Builder
	(&addOptions{}).notes(&b, "east", spokeManifest{Hub: "127.0.0.1:7443", CAFile: true, ClientCert: true})
	for _, want := range []string{
		"--spoke-hub", "ca.crt (the hub's CA", "tls.crt and tls.key (a client certificate for east",
		`kubectl -n flotilla-system patch secret flotilla-spoke -p "{\"data\":{\"ca.crt\":\"$(base64 -w0 hub-ca.crt)\",\"tls.crt\":\"$(base64 -w0 east.crt)\",\"tls.key\":\"$(base64 -w0 east.key)\"}}"`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("notes lack %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	(&addOptions{spokeHub: "hub:7443"}).notes(&b, "east", spokeManifest{Hub: "hub:7443", CAFile: true, CA: []byte("CA")})
	if b.Len() != 0 {
		t.Errorf("a complete manifest gets notes:\n%s", b.String())
	}
}
