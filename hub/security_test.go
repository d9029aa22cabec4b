package hub

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/hub/store"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

func (e *env) audit(r *pb.ListAuditEntriesRequest) []*pb.AuditEntry {
	e.t.Helper()
	got, err := pb.NewAuditServiceClient(e.conn).ListAuditEntries(e.admin, r)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.GetEntries()
}

// Every mutating admin call is recorded with who, what and the result;
// reads are not; secrets never are.
func TestAuditRecordsMutatingCalls(t *testing.T) {
	e := start(t)
	since := timestamppb.Now()
	clusters := pb.NewClusterServiceClient(e.conn)
	added, err := clusters.AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clusters.ListClusters(e.admin, &pb.ListClustersRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := clusters.RemoveCluster(e.admin, &pb.RemoveClusterRequest{Name: "west"}); status.Code(err) != codes.NotFound {
		t.Fatalf("remove west: %v, want NotFound", err)
	}
	const password, key = "s3cret-pass", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretkey\n"
	repos := pb.NewRepositoryServiceClient(e.conn)
	if _, err := repos.AddRepository(e.admin, &pb.AddRepositoryRequest{Repository: &pb.Repository{
		Url: "https://bot:" + password + "@git.example.com/apps.git", Username: "bot", Password: password, SshPrivateKey: []byte(key)}}); err != nil {
		t.Fatal(err)
	}
	stranger := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+added.GetToken())
	if _, err := clusters.RemoveCluster(stranger, &pb.RemoveClusterRequest{Name: "east"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("remove with a cluster token: %v, want PermissionDenied", err)
	}
	if _, err := clusters.RemoveCluster(context.Background(), &pb.RemoveClusterRequest{Name: "east"}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("remove without a token: %v, want Unauthenticated", err)
	}

	got := e.audit(&pb.ListAuditEntriesRequest{Since: since})
	type row struct{ principal, method, kind, name, code string }
	want := []row{
		{"admin:admin", "AddCluster", "cluster", "east", "OK"},
		{"admin:admin", "RemoveCluster", "cluster", "west", "NotFound"},
		{"admin:admin", "AddRepository", "repository", "https://REDACTED@git.example.com/apps.git", "OK"},
		{"cluster:east", "RemoveCluster", "cluster", "east", "PermissionDenied"},
		{"unauthenticated", "RemoveCluster", "cluster", "east", "Unauthenticated"},
	}
	if len(got) != len(want) {
		t.Fatalf("audit log has %d entries, want %d:\n%v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		m := g.GetMethod()[strings.LastIndex(g.GetMethod(), "/")+1:]
		if (row{g.GetPrincipal(), m, g.GetKind(), g.GetName(), g.GetCode()}) != w {
			t.Errorf("entry %d = %v, want %v", i, g, w)
		}
		if g.GetTime() == nil || g.GetPeer() == "" {
			t.Errorf("entry %d lacks time or peer: %v", i, g)
		}
	}
	all, err := protojson.Marshal(&pb.ListAuditEntriesResponse{Entries: got})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{password, "AAAAsecretkey", added.GetToken(), e.hub.AdminToken} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("the audit log holds a secret %q:\n%s", secret, all)
		}
	}
	if f := e.audit(&pb.ListAuditEntriesRequest{FailedOnly: true, Limit: 2}); len(f) != 2 || f[1].GetPrincipal() != "unauthenticated" {
		t.Errorf("failed_only, limit 2: %v, want the last two refusals", f)
	}
	if _, err := pb.NewAuditServiceClient(e.conn).ListAuditEntries(e.admin, &pb.ListAuditEntriesRequest{Limit: -1}); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "limit -1") {
		t.Errorf("limit -1: %v, want InvalidArgument naming the limit", err)
	}
}

// syncLog is a log destination tests can read while the hub writes.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startLogged starts a hub with cfg and returns its log.
func startLogged(t *testing.T, cfg Config) (*Hub, *syncLog, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncLog{}
	h, err := Start(ctx, cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		cancel()
		return nil, logs, err
	}
	t.Cleanup(func() {
		cancel()
		if err := h.Wait(); err != nil {
			t.Errorf("hub stopped with: %v", err)
		}
	})
	return h, logs, nil
}

func baseConfig(t *testing.T) Config {
	return Config{Listen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", DataDir: t.TempDir(), Controller: controller.DefaultOptions()}
}

func TestAuditIsLogged(t *testing.T) {
	h, logs, err := startLogged(t, baseConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, hub: h}
	e.conn = dialHub(t, h)
	e.admin = metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+h.AdminToken)
	if _, err := pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team-a"}}); err != nil {
		t.Fatal(err)
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "msg=audit") {
			line = l
		}
	}
	for _, want := range []string{"principal=admin:admin", "method=/flotilla.v1.ProjectService/CreateProject", "kind=project", "name=team-a", "code=OK"} {
		if !strings.Contains(line, want) {
			t.Errorf("audit log line %q lacks %s", line, want)
		}
	}
}

// Retention flags take effect: only the newest entries stay.
func TestAuditRetention(t *testing.T) {
	e := startWith(t, func(c *Config) { c.AuditRetention = store.AuditRetention{MaxEntries: 2, MaxAge: time.Hour} })
	for _, n := range []string{"a", "b", "c"} {
		if _, err := pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	got := e.audit(&pb.ListAuditEntriesRequest{})
	if len(got) != 2 || got[0].GetName() != "b" || got[1].GetName() != "c" {
		t.Errorf("audit log with MaxEntries 2: %v, want b and c", got)
	}
}

func TestPprofOnlyOnItsLoopbackListener(t *testing.T) {
	cfg := baseConfig(t)
	cfg.PprofListen = "0.0.0.0:0"
	if _, _, err := startLogged(t, cfg); err == nil || !strings.Contains(err.Error(), "--pprof-listen 0.0.0.0:0") {
		t.Errorf("pprof on 0.0.0.0: %v, want a refusal naming --pprof-listen", err)
	}
	cfg = baseConfig(t)
	cfg.PprofListen = "127.0.0.1:0"
	h, _, err := startLogged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if code := get("http://" + h.PprofAddr.String() + "/debug/pprof/"); code != http.StatusOK {
		t.Errorf("pprof listener: %d, want 200", code)
	}
	if code := get("http://" + h.HTTPAddr.String() + "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("HTTP listener /debug/pprof/: %d, want 404", code)
	}
}

func TestPlaintextOnNetworkWarns(t *testing.T) {
	cfg := baseConfig(t)
	cfg.Listen, cfg.HTTPListen = "0.0.0.0:0", "0.0.0.0:0"
	_, logs, err := startLogged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PLAINTEXT gRPC ON A NON-LOOPBACK ADDRESS", "webhook without a secret"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	cfg = baseConfig(t)
	_, logs, err = startLogged(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "PLAINTEXT") {
		t.Errorf("a loopback hub warns:\n%s", logs)
	}
}

// Callers without a token cannot push real entries out of the audit log:
// beyond a burst, their calls are logged but stored at one a second.
func TestAnonymousCallsCannotFlushTheAuditLog(t *testing.T) {
	e := startWith(t, func(c *Config) { c.AuditRetention = store.AuditRetention{MaxEntries: 120, MaxAge: time.Hour} })
	if _, err := pb.NewProjectServiceClient(e.conn).CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "keep"}}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	clusters := pb.NewClusterServiceClient(e.conn)
	for range 150 {
		if _, err := clusters.RemoveCluster(context.Background(), &pb.RemoveClusterRequest{Name: "east"}); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("remove without a token: %v", err)
		}
	}
	elapsed := time.Since(t0)
	got := e.audit(&pb.ListAuditEntriesRequest{Limit: 1000})
	anonymous, kept := 0, false
	for _, en := range got {
		switch {
		case en.GetPrincipal() == "unauthenticated":
			anonymous++
		case en.GetName() == "keep":
			kept = true
		}
	}
	if limit := 100 + int(elapsed/time.Second) + 1; anonymous > limit {
		t.Errorf("%d unauthenticated entries stored in %v, want at most %d", anonymous, elapsed, limit)
	}
	if !kept {
		t.Errorf("150 unauthenticated calls pushed the admin's entry out of a 120-entry log (%d anonymous stored)", anonymous)
	}
}

// A webhook client that stops sending mid-body is cut off at the read
// timeout instead of holding its connection (and goroutine) forever.
func TestSlowWebhookClientIsCutOff(t *testing.T) {
	saved := httpLimits
	httpLimits.Read = 500 * time.Millisecond
	t.Cleanup(func() { httpLimits = saved })
	h, _, err := startLogged(t, baseConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", h.HTTPAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /api/webhook HTTP/1.1\r\nHost: hub\r\nX-GitHub-Event: push\r\nContent-Length: 1000\r\n\r\n{\"repo"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = io.ReadAll(conn) // the hub answers 400 or closes; either way the connection ends
	if err != nil {
		t.Fatalf("the hub still holds a stalled webhook connection after %v: %v", time.Since(start), err)
	}
}
