package helmrepo

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flotilla-gitops/flotilla/internal/helmtest"
	"oras.land/oras-go/v2/registry/remote/auth"
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

// A registry is sent only the credentials stored for it: with none (or a
// user without a password), the hub user's Docker login for that registry
// (DOCKER_CONFIG's config.json) is not used, and the refresh and pull are
// refused; with the stored ones they work.
func TestOCIRegistryNoDockerCredentials(t *testing.T) {
	for name, serve := range map[string]func(testing.TB, string, string) *helmtest.Registry{
		"http":  helmtest.ServeOCI,
		"https": helmtest.ServeOCITLS,
	} {
		t.Run(name, func(t *testing.T) {
			reg := serve(t, "user", "pass")
			reg.Push(t, "web", "1.0.0", map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"}, "")
			host := strings.TrimSuffix(strings.TrimPrefix(reg.URL, "oci://"), "/charts")
			dockerConfig := t.TempDir()
			login := base64.StdEncoding.EncodeToString([]byte("user:pass"))
			if err := os.WriteFile(filepath.Join(dockerConfig, "config.json"), []byte(`{"auths": {"`+host+`": {"auth": "`+login+`"}}}`), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("DOCKER_CONFIG", dockerConfig)

			ctx := context.Background()
			c := New(t.TempDir(), 10*time.Second, DefaultLimits())
			stored := Credentials{Username: "user", Password: "pass", CA: reg.CA}
			for _, cr := range []Credentials{{CA: reg.CA}, {Username: "user", CA: reg.CA}} {
				if err := c.Refresh(ctx, reg.URL, []string{"web"}, cr, 0); !refused(err, reg.URL) {
					t.Errorf("refresh with username %q, no password: %v, want refused (no credential) naming %s", cr.Username, err, reg.URL)
				}
			}
			if err := c.Refresh(ctx, reg.URL, []string{"web"}, stored, 0); err != nil {
				t.Fatal(err)
			}
			cv, err := c.Resolve(reg.URL, "web", "1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			for _, cr := range []Credentials{{CA: reg.CA}, {Username: "user", CA: reg.CA}} {
				if _, _, err := c.Pull(ctx, reg.URL, cv, cr); !refused(err, reg.URL) {
					t.Errorf("pull with username %q, no password: %v, want refused (no credential) naming %s", cr.Username, err, reg.URL)
				}
			}
			if _, _, err := c.Pull(ctx, reg.URL, cv, stored); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// refused reports whether err is the registry client's refusal to
// authenticate without a stored credential, naming the repository.
func refused(err error, repoURL string) bool {
	return err != nil && strings.Contains(err.Error(), repoURL) &&
		(errors.Is(err, auth.ErrBasicCredentialNotFound) || strings.Contains(err.Error(), "missing username or password"))
}
