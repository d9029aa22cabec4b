package hub

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

// --admin-token-file makes its token the only admin token at every start:
// the generated one and the file's previous token stop working, cluster
// tokens keep working, and a file too short to be a secret is refused.
func TestAdminTokenFile(t *testing.T) {
	gs, url := gitRepo(t)
	cfg := testConfig(t)
	e, stop := launch(t, cfg, gs, url)
	generated := e.hub.AdminToken
	added, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	cfg.AdminTokenFile = filepath.Join(t.TempDir(), "admin-token")
	first, second := strings.Repeat("a1", 20), strings.Repeat("b2", 20)
	for _, tc := range []struct{ token, refused string }{{first, generated}, {second, first}} {
		if err := os.WriteFile(cfg.AdminTokenFile, []byte(tc.token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		e, stop := launch(t, cfg, gs, url)
		if e.hub.AdminToken != "" {
			t.Errorf("a hub with --admin-token-file generated a token")
		}
		if code := listApps(e, tc.token); code != codes.OK {
			t.Errorf("the file's token: %s, want OK", code)
		}
		if code := listApps(e, tc.refused); code != codes.Unauthenticated {
			t.Errorf("the replaced admin token: %s, want Unauthenticated", code)
		}
		s, err := e.connect(added.GetToken(), &pb.Hello{})
		if err != nil {
			t.Fatalf("the cluster's token after the admin token changed: %v", err)
		}
		s.close()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}

	if err := os.WriteFile(cfg.AdminTokenFile, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "--admin-token-file "+cfg.AdminTokenFile) {
		t.Fatalf("a 5-character token: %v, want an error naming --admin-token-file and the file", err)
	}
}

func listApps(e *env, token string) codes.Code {
	return listAppsCtx(e, bearerCtx(token))
}

func listAppsCtx(e *env, ctx context.Context) codes.Code {
	_, err := pb.NewApplicationServiceClient(e.conn).ListApplications(ctx, &pb.ListApplicationsRequest{})
	return status.Code(err)
}
