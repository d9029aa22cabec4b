// Package fleet proves progressive rollouts, dependencies and approval on
// real local clusters: the hub and one spoke per cluster run in-process,
// the clusters are real (e2e/localcluster), Git is served over HTTP.
package fleet

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/flotilla-gitops/flotilla/e2e/localcluster"
	"github.com/flotilla-gitops/flotilla/hub"
	"github.com/flotilla-gitops/flotilla/internal/gitserver"
	pb "github.com/flotilla-gitops/flotilla/proto/flotilla/v1"
	"github.com/flotilla-gitops/flotilla/spoke/agent"
)

func TestMain(m *testing.M) { localcluster.Main(m) }

type fleet struct {
	t        *testing.T
	git      *gitserver.Server
	repo     string
	admin    context.Context
	conn     *grpc.ClientConn
	clusters map[string]kubernetes.Interface
}

// start runs 3 clusters (c1 is the canary), the hub and a spoke per cluster.
func start(t *testing.T) *fleet {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("FLEET_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	gs, err := gitserver.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gs)
	t.Cleanup(srv.Close)
	if err := gs.Create("apps"); err != nil {
		t.Fatal(err)
	}
	cfg := hub.DefaultConfig()
	cfg.Listen, cfg.HTTPListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", t.TempDir()
	cfg.Controller.PollInterval = time.Second
	h, err := hub.Start(ctx, cfg, log.With("component", "hub"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := h.Wait(); err != nil {
			t.Logf("hub: %v", err)
		}
	})
	conn, err := grpc.NewClient(h.GRPCAddr.String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f := &fleet{t: t, git: gs, repo: srv.URL + "/apps.git", conn: conn, clusters: map[string]kubernetes.Interface{},
		admin: metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+h.AdminToken)}
	for i, c := range localcluster.StartForTest(t, 3) {
		name := fmt.Sprintf("c%d", i+1)
		tier := "fleet"
		if i == 0 {
			tier = "canary"
		}
		r, err := pb.NewClusterServiceClient(conn).AddCluster(f.admin, &pb.AddClusterRequest{Name: name, Labels: map[string]string{"tier": tier}})
		if err != nil {
			t.Fatal(err)
		}
		tok := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(tok, []byte(r.GetToken()), 0o600); err != nil {
			t.Fatal(err)
		}
		scfg, err := agent.ParseFlags([]string{"--hub", h.GRPCAddr.String(), "--insecure", "--token-file", tok,
			"--kubeconfig", c.Kubeconfig, "--data-dir", t.TempDir()}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		a, err := agent.New(scfg, c.Config(), log.With("component", "spoke", "cluster", name))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Logf("spoke %s: %v", name, err)
			}
		})
		cs, err := c.Clientset()
		if err != nil {
			t.Fatal(err)
		}
		f.clusters[name] = cs
	}
	return f
}

func (f *fleet) commit(msg string, files map[string]string) string {
	f.t.Helper()
	sha, err := f.git.Commit("apps", "main", msg, files)
	if err != nil {
		f.t.Fatal(err)
	}
	return sha
}

func (f *fleet) create(a *pb.Application) {
	f.t.Helper()
	a.Source.RepoUrl = f.repo
	if _, err := pb.NewApplicationServiceClient(f.conn).CreateApplication(f.admin, &pb.CreateApplicationRequest{Application: a}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fleet) rollout(app string) *pb.Rollout {
	r, err := pb.NewRolloutServiceClient(f.conn).GetRollout(f.admin, &pb.GetRolloutRequest{Name: app})
	if err != nil {
		return nil
	}
	return r.GetRollout()
}

// until polls cond with a deadline; what describes the wait.
func (f *fleet) until(d time.Duration, what func() string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out after %s: %s", d, what())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// image returns the image of a Deployment's first container ("" if absent).
func (f *fleet) image(cluster, ns, name string) string {
	d, err := f.clusters[cluster].AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

func deployment(name, image string, fail bool) string {
	labels := "app: " + name
	if fail {
		labels += "\n        " + localcluster.FailLabel + ": \"true\""
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  replicas: 1
  progressDeadlineSeconds: 8
  selector:
    matchLabels: {app: %s}
  template:
    metadata:
      labels:
        %s
    spec:
      containers:
        - name: main
          image: %s
`, name, name, labels, image)
}

func TestCanaryHaltAndRevert(t *testing.T) {
	f := start(t)
	v1 := f.commit("v1", map[string]string{"web/deploy.yaml": deployment("web", "web:v1", false)})
	f.create(&pb.Application{Name: "web", Source: &pb.ApplicationSource{Path: "web"},
		Destination: &pb.Destination{ClusterSelector: map[string]string{}, Clusters: []string{"c1", "c2", "c3"}, Namespace: "web"},
		SyncPolicy:  &pb.SyncPolicy{Automated: true, Options: map[string]string{"CreateNamespace": "true"}},
		Rollout: &pb.RolloutStrategy{OnFailure: "revert", ProgressDeadlineSeconds: 60, Steps: []*pb.RolloutStep{
			{Name: "canary", Selector: map[string]string{"tier": "canary"}, BakeSeconds: 2}}}})
	f.until(2*time.Minute, func() string { return fmt.Sprint(f.rollout("web")) }, func() bool {
		r := f.rollout("web")
		return r.GetRevision() == v1 && r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_COMPLETED
	})
	r := f.rollout("web")
	if got := r.GetSteps()[0].GetTargets(); len(got) != 1 || got[0].GetCluster() != "c1" {
		t.Fatalf("canary step: %v", got)
	}
	for c := range f.clusters {
		if img := f.image(c, "web", "web"); img != "web:v1" {
			t.Fatalf("%s runs %q after v1", c, img)
		}
	}
	// v2 can never become available: it halts after the canary, the other
	// clusters untouched, and the canary goes back to v1.
	v2 := f.commit("v2", map[string]string{"web/deploy.yaml": deployment("web", "web:v2", true)})
	f.until(2*time.Minute, func() string { return fmt.Sprint(f.rollout("web")) }, func() bool {
		r := f.rollout("web")
		return r.GetRevision() == v2 && r.GetPhase() == pb.RolloutPhase_ROLLOUT_PHASE_HALTED && strings.HasSuffix(r.GetMessage(), "revert done")
	})
	r = f.rollout("web")
	if !strings.Contains(r.GetMessage(), "c1") || !strings.Contains(r.GetMessage(), "web") {
		t.Errorf("halt message %q does not say where", r.GetMessage())
	}
	for _, c := range []string{"c2", "c3"} {
		if img := f.image(c, "web", "web"); img != "web:v1" {
			t.Errorf("%s runs %q: the halt did not keep it on v1", c, img)
		}
	}
	f.until(time.Minute, func() string { return "canary back on web:v1 and available" }, func() bool {
		d, err := f.clusters["c1"].AppsV1().Deployments("web").Get(context.Background(), "web", metav1.GetOptions{})
		return err == nil && d.Spec.Template.Spec.Containers[0].Image == "web:v1" && d.Status.AvailableReplicas == 1 &&
			d.Status.ObservedGeneration == d.Generation
	})
	if tg := r.GetSteps()[0].GetTargets()[0]; tg.GetState() != "Reverted" {
		t.Errorf("canary state %s: %s", tg.GetState(), tg.GetMessage())
	}
}

func TestDependsOnAndApprovalOnClusters(t *testing.T) {
	f := start(t)
	f.commit("apps", map[string]string{
		"db/deploy.yaml":  deployment("db", "db:v1", false),
		"api/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: api}\ndata: {db: db}\n",
	})
	dest := &pb.Destination{Clusters: []string{"c2", "c3"}, Namespace: "shop"}
	policy := &pb.SyncPolicy{Automated: true, Options: map[string]string{"CreateNamespace": "true"}}
	f.create(&pb.Application{Name: "api", Source: &pb.ApplicationSource{Path: "api"}, Destination: dest, SyncPolicy: policy, DependsOn: []string{"db"}})
	f.create(&pb.Application{Name: "db", Source: &pb.ApplicationSource{Path: "db"}, Destination: dest, SyncPolicy: policy})
	for _, c := range []string{"c2", "c3"} {
		f.until(2*time.Minute, func() string { return c + ": api ConfigMap" }, func() bool {
			_, err := f.clusters[c].CoreV1().ConfigMaps("shop").Get(context.Background(), "api", metav1.GetOptions{})
			return err == nil
		})
		cm, _ := f.clusters[c].CoreV1().ConfigMaps("shop").Get(context.Background(), "api", metav1.GetOptions{})
		d, err := f.clusters[c].AppsV1().Deployments("shop").Get(context.Background(), "db", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("%s: api deployed without db: %v", c, err)
		}
		var available time.Time
		for _, cond := range d.Status.Conditions {
			if cond.Type == "Available" && cond.Status == "True" {
				available = cond.LastTransitionTime.Time
			}
		}
		// Kubernetes timestamps have second precision: api is never earlier.
		if available.IsZero() || cm.CreationTimestamp.Time.Before(available) {
			t.Errorf("%s: api created %s, db available %s", c, cm.CreationTimestamp, available)
		}
	}
	// Approval: nothing reaches the clusters until the plan is approved.
	f.commit("gated", map[string]string{"gated/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gated}\n"})
	f.create(&pb.Application{Name: "gated", Source: &pb.ApplicationSource{Path: "gated"}, Destination: &pb.Destination{Clusters: []string{"c2"}, Namespace: "shop"},
		SyncPolicy: &pb.SyncPolicy{Automated: true, Approval: "required"}})
	apps := pb.NewApplicationServiceClient(f.conn)
	var pending string
	f.until(time.Minute, func() string { return "gated waiting for approval" }, func() bool {
		r, err := apps.GetApplication(f.admin, &pb.GetApplicationRequest{Name: "gated"})
		if err != nil || len(r.GetTargets()) != 1 {
			return false
		}
		pending = r.GetTargets()[0].GetPendingPlanHash()
		return pending != ""
	})
	time.Sleep(2 * time.Second) // two poll periods: an unapproved plan must not be applied meanwhile
	if _, err := f.clusters["c2"].CoreV1().ConfigMaps("shop").Get(context.Background(), "gated", metav1.GetOptions{}); err == nil {
		t.Fatal("gated applied before approval")
	}
	// The plan to approve, compared by c2's spoke with its live objects:
	// the ConfigMap would be created.
	pr, err := apps.GetPlan(f.admin, &pb.GetPlanRequest{Name: "gated", Cluster: "c2"})
	if err != nil {
		t.Fatal(err)
	}
	if !pr.GetLive() || pr.GetPlan().GetHash() != pending || len(pr.GetDiffs()) != 1 || pr.GetDiffs()[0].GetRef().GetName() != "gated" ||
		!strings.Contains(pr.GetDiffs()[0].GetDiff(), "+kind: ConfigMap") {
		t.Errorf("plan before approval (live diff from the spoke): %v", pr)
	}
	if _, err := apps.ApproveApplication(f.admin, &pb.ApproveApplicationRequest{Name: "gated", PlanHashes: []string{pending}}); err != nil {
		t.Fatal(err)
	}
	f.until(time.Minute, func() string { return "gated applied after approval" }, func() bool {
		_, err := f.clusters["c2"].CoreV1().ConfigMaps("shop").Get(context.Background(), "gated", metav1.GetOptions{})
		return err == nil
	})
	// Applied: the same plan would change nothing live.
	if pr, err = apps.GetPlan(f.admin, &pb.GetPlanRequest{Name: "gated", Cluster: "c2"}); err != nil || !pr.GetLive() || len(pr.GetDiffs()) != 0 {
		t.Errorf("plan after the sync: %v %v, want a live comparison without changes", pr, err)
	}
}
