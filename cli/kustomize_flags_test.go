package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// `flotilla render` previews the overrides an application would carry.
func TestRenderKustomizeFlags(t *testing.T) {
	patches := filepath.Join(t.TempDir(), "patches.yaml")
	if err := os.WriteFile(patches, []byte("- target: {kind: Service}\n  patch: |\n    - {op: add, path: /metadata/labels/patched, value: 'yes'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "", "render", repo+"/kustomize/overlays/prod", "--root", repo,
		"--nameprefix", "east-", "--namesuffix", "-v2", "--kustomize-image", "example/api=mirror.example/api:9",
		"--kustomize-namespace", "east", "--kustomize-common-label", "team=a", "--kustomize-common-annotation", "owner=ops",
		"--kustomize-replica", "api=5", "--kustomize-patches", patches)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"name: east-api-v2", "namespace: east", "image: mirror.example/api:9", "team: a", "owner: ops",
		"replicas: 5", "patched: \"yes\""} {
		if !strings.Contains(out, want) {
			t.Errorf("render output lacks %q:\n%s", want, out)
		}
	}
	_, errOut, code = run(t, "", "render", repo+"/kustomize/overlays/prod", "--root", repo, "--kustomize-image", "ok:1", "--kustomize-image", "bad")
	if code != 1 || !strings.Contains(errOut, "source.kustomize.images[1]") {
		t.Errorf("a bad image: exit %d, %q; want an error naming source.kustomize.images[1]", code, errOut)
	}
}

// `app create|set` flags fill the application's source.kustomize.
func TestAppKustomizeFlags(t *testing.T) {
	patches := filepath.Join(t.TempDir(), "patches.yaml")
	if err := os.WriteFile(patches, []byte("- path: patches/replicas.yaml\n  target: {group: apps, kind: Deployment, labelSelector: app=web}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var f appFlags
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	f.register(cmd)
	cmd.SetArgs([]string{"--nameprefix", "p-", "--namesuffix", "-s", "--kustomize-image", "a:1", "--kustomize-image", "b=c@sha256:x",
		"--kustomize-namespace", "ns", "--kustomize-common-label", "k=v", "--kustomize-common-annotation", "a=b",
		"--kustomize-replica", "web=3", "--kustomize-patches", patches})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	a := &pb.Application{}
	if err := f.apply(cmd, a); err != nil {
		t.Fatal(err)
	}
	want := &pb.KustomizeSource{NamePrefix: "p-", NameSuffix: "-s", Images: []string{"a:1", "b=c@sha256:x"}, Namespace: "ns",
		CommonLabels: map[string]string{"k": "v"}, CommonAnnotations: map[string]string{"a": "b"},
		Replicas: []*pb.KustomizeReplica{{Name: "web", Count: 3}},
		Patches: []*pb.KustomizePatch{{Path: "patches/replicas.yaml",
			Target: &pb.KustomizeSelector{Group: "apps", Kind: "Deployment", LabelSelector: "app=web"}}}}
	if !proto.Equal(a.GetSource().GetKustomize(), want) {
		t.Errorf("source.kustomize = %v, want %v", a.GetSource().GetKustomize(), want)
	}
	cmd.SetArgs([]string{"--kustomize-replica", "web"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if err := f.apply(cmd, &pb.Application{}); err == nil || !strings.Contains(err.Error(), "--kustomize-replica") {
		t.Errorf("--kustomize-replica web: %v, want an error naming the flag", err)
	}
}
