package hub

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/flotilla-gitops/flotilla/hub/controller"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	"github.com/flotilla-gitops/flotilla/internal/wire"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
)

const secret = "hook-secret"

type env struct {
	t       *testing.T
	hub     *Hub
	git     *gitserver.Server
	repoURL string
	conn    *grpc.ClientConn
	admin   context.Context
}

func start(t *testing.T) *env {
	t.Helper()
	return startWith(t, nil)
}

// startWith starts a hub whose configuration edit changed first.
func startWith(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	gs, url := gitRepo(t)
	cfg := testConfig(t)
	if edit != nil {
		edit(&cfg)
	}
	e, stop := launch(t, cfg, gs, url)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("hub stopped with: %v", err)
		}
	})
	return e
}

// gitRepo serves a Git server with one repository, "apps", and returns
// its URL.
func gitRepo(t *testing.T) (*gitserver.Server, string) {
	t.Helper()
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gs)
	t.Cleanup(srv.Close)
	if err := gs.Create("apps"); err != nil {
		t.Fatal(err)
	}
	return gs, srv.URL + "/apps.git"
}

// testConfig is a hub on loopback ports and a fresh data directory that
// fetches only on webhooks and refreshes.
func testConfig(t *testing.T) Config {
	cfg := Config{Listen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", DataDir: t.TempDir(), WebhookSecret: secret, Controller: controller.DefaultOptions()}
	cfg.Controller.PollInterval = time.Hour
	return cfg
}

// launch starts a hub with cfg; stop ends it (once) and returns how it
// ended.
func launch(t *testing.T, cfg Config, gs *gitserver.Server, repoURL string) (*env, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := Start(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() { cancel(); stopErr = h.Wait() })
		return stopErr
	}
	conn, err := grpc.NewClient(h.GRPCAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	token := h.AdminToken
	if token == "" { // a restart (the first start wrote it), or a token file
		file := filepath.Join(cfg.DataDir, AdminTokenFile)
		if cfg.AdminTokenFile != "" {
			file = cfg.AdminTokenFile
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("no admin token: %v", err)
		}
		token = strings.TrimSpace(string(b))
	}
	admin := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
	return &env{t: t, hub: h, git: gs, repoURL: repoURL, conn: conn, admin: admin}, stop
}

func (e *env) commit(msg string, files map[string]string) string {
	e.t.Helper()
	sha, err := e.git.Commit("apps", "main", msg, files)
	if err != nil {
		e.t.Fatal(err)
	}
	return sha
}

// webhook posts a signed GitHub push for the repository.
func (e *env) webhook(sign bool) int {
	e.t.Helper()
	body := []byte(fmt.Sprintf(`{"ref":"refs/heads/main","repository":{"clone_url":%q}}`, e.repoURL))
	req, _ := http.NewRequest(http.MethodPost, "http://"+e.hub.HTTPAddr.String()+"/api/webhook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Event", "push")
	if sign {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// spoke is a test client speaking the real protocol.
type spoke struct {
	t      *testing.T
	stream pb.SpokeService_ConnectClient
	msgs   chan *pb.ConnectResponse
	close  context.CancelFunc
}

func (e *env) connect(token string, hello *pb.Hello) (*spoke, error) {
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token))
	e.t.Cleanup(cancel)
	stream, err := pb.NewSpokeServiceClient(e.conn).Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Hello{Hello: hello}}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	} // on io.EOF the server ended the stream: Recv returns its status
	first, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	if first.GetWelcome() == nil {
		return nil, fmt.Errorf("first message %v, want Welcome", first)
	}
	s := &spoke{t: e.t, stream: stream, msgs: make(chan *pb.ConnectResponse, 100), close: cancel}
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				close(s.msgs)
				return
			}
			if m.GetHeartbeat() == nil {
				s.msgs <- m
			}
		}
	}()
	return s, nil
}

// nextPlan waits for a plan assignment and acks it.
func (s *spoke) nextPlan() *pb.PlanAssignment {
	s.t.Helper()
	select {
	case m, ok := <-s.msgs:
		if !ok || m.GetPlan() == nil {
			s.t.Fatalf("got %v, want a plan", m)
		}
		pa := m.GetPlan()
		err := s.stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Ack{Ack: &pb.PlanAck{Seq: pa.GetSeq(), Application: pa.GetPlan().GetApplication(), PlanHash: pa.GetPlan().GetHash()}}})
		if err != nil {
			s.t.Fatal(err)
		}
		return pa
	case <-time.After(30 * time.Second):
		s.t.Fatal("no plan within 30s")
	}
	return nil
}

func objectNames(t *testing.T, p *pb.Plan) []string {
	t.Helper()
	pl, err := wire.PlanFromProto(p)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range pl.Actions() {
		out = append(out, string(a.Action)+" "+a.Kind+"/"+a.Name)
		if a.Object != nil {
			if v, ok := a.Object.Object["data"].(map[string]any); ok {
				out[len(out)-1] += fmt.Sprintf(" %v", v["v"])
			}
		}
	}
	return out
}

const cmYAML = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  v: %q\n"

func TestHubEndToEnd(t *testing.T) {
	e := start(t)
	clusters := pb.NewClusterServiceClient(e.conn)
	apps := pb.NewApplicationServiceClient(e.conn)
	keep := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep\n  annotations: {argocd.argoproj.io/sync-options: Prune=false}\ndata:\n  v: k\n"
	e.commit("first", map[string]string{"web/cm.yaml": fmt.Sprintf(cmYAML, "web", "1"), "web/old.yaml": fmt.Sprintf(cmYAML, "old", "x"),
		"web/keep.yaml": keep, "docs/README.md": "hi\n"})

	added, err := clusters.AddCluster(e.admin, &pb.AddClusterRequest{Name: "east", Labels: map[string]string{"env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{
		Name:        "web",
		Source:      &pb.ApplicationSource{RepoUrl: e.repoURL, TargetRevision: "main", Path: "web"},
		Destination: &pb.Destination{ClusterSelector: map[string]string{"env": "prod"}, Namespace: "{{cluster.name}}-ns"},
		SyncPolicy:  &pb.SyncPolicy{Automated: true, Prune: true},
	}})
	if err != nil {
		t.Fatal(err)
	}

	// Auth: a wrong token and a cluster token on the admin API are refused.
	if _, err := e.connect("flts_wrong", &pb.Hello{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("wrong spoke token: %v", err)
	}
	spokeCtx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+added.GetToken())
	if _, err := apps.ListApplications(spokeCtx, &pb.ListApplicationsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("cluster token on admin API: %v", err)
	}
	if _, err := apps.ListApplications(context.Background(), &pb.ListApplicationsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token on admin API: %v", err)
	}

	sp, err := e.connect(added.GetToken(), &pb.Hello{AgentVersion: "test", KubeVersion: "v1.37.2"})
	if err != nil {
		t.Fatal(err)
	}
	first := sp.nextPlan()
	if got := strings.Join(objectNames(t, first.GetPlan()), ", "); got != "apply ConfigMap/keep k, apply ConfigMap/old x, apply ConfigMap/web 1" {
		t.Fatalf("first plan: %s", got)
	}
	if first.GetPlan().GetCluster() != "east" || first.GetPlan().GetOptions().GetDefaultNamespace() != "east-ns" {
		t.Errorf("plan options: %v", first.GetPlan().GetOptions())
	}

	// The spoke reports success: the target becomes Synced with history.
	err = sp.stream.Send(&pb.ConnectRequest{Msg: &pb.ConnectRequest_Progress{Progress: &pb.SyncProgress{Application: "web", PlanHash: first.GetPlan().GetHash(),
		Operation: &pb.Operation{Phase: pb.OperationPhase_OPERATION_PHASE_SUCCEEDED, PlanHash: first.GetPlan().GetHash(), Message: "done"}}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web"})
		return err == nil && len(got.GetTargets()) == 1 && got.GetTargets()[0].GetSync() == pb.SyncStatus_SYNC_STATUS_SYNCED
	}, "target Synced")
	hist, err := apps.ListHistory(e.admin, &pb.ListHistoryRequest{Name: "web"})
	if err != nil || len(hist.GetEntries()) != 1 || hist.GetEntries()[0].GetResult() != pb.OperationPhase_OPERATION_PHASE_SUCCEEDED {
		t.Fatalf("history: %v %v", hist, err)
	}

	// A new commit and a signed webhook: a new plan, with the prune.
	if code := e.webhook(false); code != http.StatusUnauthorized {
		t.Errorf("unsigned webhook: %d", code)
	}
	e.commit("change web", map[string]string{"web/cm.yaml": fmt.Sprintf(cmYAML, "web", "2"), "web/old.yaml": "", "web/keep.yaml": ""})
	if code := e.webhook(true); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	second := sp.nextPlan()
	if got := strings.Join(objectNames(t, second.GetPlan()), ", "); got != "prune ConfigMap/old, apply ConfigMap/web 2" {
		t.Fatalf("second plan (keep has Prune=false): %s", got)
	}

	// An unrelated commit renders nothing and assigns nothing.
	renders, _, plans := e.hub.Controller.Stats.Snapshot()
	e.commit("docs only", map[string]string{"docs/README.md": "changed\n"})
	if _, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true}); err != nil {
		t.Fatal(err)
	}
	r2, reuses, p2 := e.hub.Controller.Stats.Snapshot()
	if r2 != renders || p2 != plans || reuses == 0 {
		t.Errorf("unrelated commit: renders %d→%d, plans %d→%d, reuses %d", renders, r2, plans, p2, reuses)
	}

	// A broken commit keeps the last good plan and shows the error.
	e.commit("broken", map[string]string{"web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n"})
	got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if msg := got.GetTargets()[0].GetError(); !strings.Contains(msg, "web/cm.yaml") || !strings.Contains(msg, "line 4") {
		t.Errorf("target error = %q", msg)
	}
	d, err := e.hub.Store.GetDesired("web", "east")
	if err != nil || d.PlanHash != second.GetPlan().GetHash() {
		t.Errorf("desired plan changed after a broken commit: %s vs %s", d.PlanHash, second.GetPlan().GetHash())
	}

	// Reconnect: the hub resends the current plan unless the spoke has it.
	sp2, err := e.connect(added.GetToken(), &pb.Hello{})
	if err != nil {
		t.Fatal(err)
	}
	if again := sp2.nextPlan(); again.GetPlan().GetHash() != second.GetPlan().GetHash() {
		t.Errorf("resync sent plan %s", again.GetPlan().GetHash())
	}
}

func TestReflectionListsServices(t *testing.T) {
	e := start(t)
	stream, err := rpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"flotilla.v1.ApplicationService", "flotilla.v1.ClusterService", "flotilla.v1.ProjectService", "flotilla.v1.SpokeService", "flotilla.v1.AuditService", "grpc.health.v1.Health"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("reflection lacks %s: %v", want, names)
		}
	}
}

func TestProjectRulesNameTheRule(t *testing.T) {
	e := start(t)
	e.commit("cluster-scoped", map[string]string{"app/role.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: admin-all}\n"})
	projects := pb.NewProjectServiceClient(e.conn)
	if _, err := projects.CreateProject(e.admin, &pb.CreateProjectRequest{Project: &pb.Project{Name: "team", SourceRepos: []string{"*"},
		Destinations: []*pb.ProjectDestination{{Cluster: "*", Namespace: "team-*"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	_, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "rbac", Project: "team",
		Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "app"}, Destination: &pb.Destination{Clusters: []string{"east"}, Namespace: "team-a"}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "rbac", Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if msg := got.GetTargets()[0].GetError(); !strings.Contains(msg, "ClusterRole admin-all: not permitted by the project team: cluster-scoped kind rbac.authorization.k8s.io/ClusterRole is not in clusterResourceWhitelist") {
		t.Errorf("target error = %q", msg)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPrivateRepositoryCredentials(t *testing.T) {
	e := start(t)
	e.git.Username, e.git.Password = "bot", "s3cret-token"
	e.commit("app", map[string]string{"web/cm.yaml": fmt.Sprintf(cmYAML, "web", "1")})
	if _, err := pb.NewClusterServiceClient(e.conn).AddCluster(e.admin, &pb.AddClusterRequest{Name: "east"}); err != nil {
		t.Fatal(err)
	}
	apps := pb.NewApplicationServiceClient(e.conn)
	_, err := apps.CreateApplication(e.admin, &pb.CreateApplicationRequest{Application: &pb.Application{Name: "web",
		Source: &pb.ApplicationSource{RepoUrl: e.repoURL, Path: "web"}, Destination: &pb.Destination{Clusters: []string{"east"}}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if msg := got.GetTargets()[0].GetError(); !strings.Contains(msg, "authentication required") && !strings.Contains(msg, "401") {
		t.Errorf("without credentials: target error %q", msg)
	}
	repos := pb.NewRepositoryServiceClient(e.conn)
	if _, err := repos.AddRepository(e.admin, &pb.AddRepositoryRequest{Repository: &pb.Repository{Url: e.repoURL, Username: "bot", Password: "s3cret-token"}}); err != nil {
		t.Fatal(err)
	}
	got, err = apps.GetApplication(e.admin, &pb.GetApplicationRequest{Name: "web", Refresh: true})
	if err != nil {
		t.Fatal(err)
	}
	if ts := got.GetTargets()[0]; ts.GetError() != "" || len(ts.GetRevision()) != 40 {
		t.Errorf("with credentials: error %q revision %q", ts.GetError(), ts.GetRevision())
	}
	list, err := repos.ListRepositories(e.admin, &pb.ListRepositoriesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if r := list.GetRepositories()[0]; r.GetPassword() != "" || !r.GetHasPassword() || r.GetUsername() != "bot" {
		t.Errorf("listed repository leaks or loses its secret: %v", r)
	}
}
