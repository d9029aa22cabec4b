package hub

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/renderworker"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// hostileApps are paths that once took the hub down or made it run git.
func hostileApps() map[string]string {
	var bomb strings.Builder
	bomb.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&bomb, "  a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return map[string]string{
		"bomb/kustomization.yaml": "resources: [bomb.yaml]\n",
		"bomb/bomb.yaml":          bomb.String(),
		"helm/Chart.yaml":         "apiVersion: v2\nname: doubler\nversion: 0.1.0\n",
		"helm/templates/cm.yaml": "{{- $s := \"0123456789abcdef\" }}{{- range until 28 }}{{- $s = print $s $s }}{{- end }}\n" +
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: {{ $s | quote }}\n",
		"remote/kustomization.yaml": "resources:\n  - deploy@host:org/repo\n",
		"blob/big.yaml":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: \"" + strings.Repeat("0", 17<<20) + "\"\n",
		"web/cm.yaml":               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {v: '1'}\n",
	}
}

// Hostile applications fail with their render error, the hub keeps
// serving, and an application beside them in the same hub still plans.
func TestHostileRendersCostOneApplication(t *testing.T) {
	e := startWith(t, func(c *Config) {
		c.RenderLimits = renderworker.Limits{Memory: 256 << 20, CPU: 30 * time.Second, MaxOutput: 16 << 20}
	})
	e.commit("hostile", hostileApps())
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	want := map[string][]string{
		"bomb":   {"path bomb", "render killed: memory limit 256MiB exceeded"},
		"helm":   {"path helm", "render killed: memory limit 256MiB exceeded"},
		"remote": {"remote/kustomization.yaml", `"deploy@host:org/repo"`, "never uses its own SSH agent"},
		"blob":   {"blob/big.yaml", "size limit"},
		"web":    nil,
	}
	for _, name := range []string{"bomb", "helm", "remote", "blob", "web"} {
		if _, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: name,
			Source:      &pb.ApplicationSource{RepoUrl: e.repoURL, TargetRevision: "main", Path: name},
			Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "shop"}, SyncPolicy: &pb.SyncPolicy{Automated: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"bomb", "helm", "remote", "blob", "web"} {
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: name, Refresh: true})
		if err != nil {
			t.Fatalf("%s: the hub stopped answering: %v", name, err)
		}
		msg := got.GetTargets()[0].GetError()
		for _, w := range want[name] {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: target error %q does not say %q", name, msg, w)
			}
		}
		if want[name] == nil && msg != "" {
			t.Errorf("%s: target error %q, want none", name, msg)
		}
	}
	if _, err := e.hub.Store.GetDesired("web", "east"); err != nil {
		t.Errorf("web beside the hostile applications has no plan: %v", err)
	}
	for _, name := range []string{"bomb", "helm", "remote", "blob"} {
		if _, err := e.hub.Store.GetDesired(name, "east"); err == nil {
			t.Errorf("%s has a plan", name)
		}
	}
}
