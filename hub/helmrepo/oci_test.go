package helmrepo

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
)

// Charts of an OCI registry (basic auth): tags as versions, resolved and
// pulled into the cache as a Helm repository's are.
func TestOCIRegistry(t *testing.T) {
	reg := helmtest.ServeOCI(t, "user", "pass")
	for _, v := range []string{"1.0.0", "1.0.1", "1.1.0"} {
		reg.Push(t, "web", v, map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {version: " + v + "}\n"}, "")
	}
	u := reg.URL
	ctx := context.Background()
	c := New(t.TempDir(), 10*time.Second, DefaultLimits())
	if err := c.Refresh(ctx, u, []string{"web"}, Credentials{Username: "user", Password: "wrong"}, 0); err == nil {
		t.Error("wrong password accepted")
	}
	if err := c.Refresh(ctx, u, []string{"web"}, creds, 0); err != nil {
		t.Fatal(err)
	}
	cv, err := c.Resolve(u, "web", "~1.0")
	if err != nil || cv.Version != "1.0.1" {
		t.Fatalf("~1.0: %v %v, want 1.0.1", cv, err)
	}
	dir, digest, err := c.Pull(ctx, u, cv, creds)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dir + "/templates/cm.yaml"); err != nil || !strings.Contains(string(b), "1.0.1") || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("pulled chart: %s %v %s", b, err, digest)
	}
	if _, err := c.Resolve(u, "web", "~2"); err == nil {
		t.Error("~2 resolved")
	}
	if _, err := c.Resolve(u, "other", ""); err == nil || !strings.Contains(err.Error(), `no chart "other"`) {
		t.Errorf("a chart never listed: %v", err)
	}
}
